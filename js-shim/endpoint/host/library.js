// @ts-check
// The source's file library, where a run's artifacts go (the core decides which files, their
// names and contents): folders, and new files written as streams. Each chunk the core appends goes
// into a stream the storage is already reading, with backpressure (an append waits while the
// storage is behind), so no file is ever whole in memory. Nothing is overwritten or deleted.
// Every file is sealed on its way (seal.js): the storage and the file's row hold only sealed bytes
// (`<id>.sealed`, type application/octet-stream); admins read them through /migration/artifacts.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertCanSeal, sealer } from './seal.js';

/** What the file library and its rows say of a sealed artifact's bytes. */
export const SEALED_TYPE = 'application/octet-stream';

let storageManager = null;

/**
 * Directus' own storage manager (`getStorage()` of @directus/api), found beside the running
 * Directus: extensions are not handed it, and writing through it is what gives the storage's own
 * error when it refuses a file (FilesService.uploadOne only says "Couldn't save file"). `null`
 * when it cannot be found: files then go through FilesService.uploadOne.
 */
function directusStorage() {
	storageManager ??= (async () => {
		for (const base of [process.argv[1], join(process.cwd(), 'package.json')]) {
			try {
				const path = createRequire(base).resolve('@directus/api/storage/index');
				const { getStorage } = await import(pathToFileURL(path).href);
				if (typeof getStorage === 'function') return await getStorage();
			} catch {
				// not from here: try the next place
			}
		}
		return null;
	})();
	return storageManager;
}

/** The storage's refusal, as the core reports it. */
function storageError(file) {
	const error = file.failure;
	return Object.assign(new Error(`storage "${file.storage}": ${error?.message ?? String(error)}`), { code: error?.code });
}

/**
 * `{ database, services, accountability, schema(), secret }` → the core's `Library`, and
 * `dispose()`; `secret` is the instance's SECRET, which the files are sealed under (no file is
 * opened without it). `storage` finds the storage manager (tests give their own; `null`:
 * FilesService.uploadOne).
 * @param {any} directus
 * @param {{ storage?: any }} [options]
 * @returns {Pick<import('../../../target/pkg/table_migration.js').MigrationHost, 'findFolder' | 'createFolder' | 'openFile' | 'appendFile' | 'closeFile'> & { dispose(): void }}
 */
export function fileLibrary({ database, services, accountability, schema, secret }, { storage = directusStorage } = {}) {
	const open = new Map();
	let handles = 0;
	const service = async (Service) => new Service({ schema: await schema(), knex: database, accountability });

	/** Start writing `file.body` to the storage: resolves to the file's id once its row exists. */
	async function store(file) {
		const files = await service(services.FilesService);
		// The name says which artifact it is, nothing of what it holds; the type says it is opaque.
		const row = { id: file.id, storage: file.storage, filename_download: file.filename, title: file.filename, type: SEALED_TYPE, folder: file.folder };
		const manager = await storage();
		if (!manager) return await files.uploadOne(file.body, row);
		const disk = manager.location(file.storage);
		const filenameDisk = `${file.id}.sealed`;
		await disk.write(filenameDisk, file.body, SEALED_TYPE);
		const { size } = await disk.stat(filenameDisk);
		return await files.createOne({ ...row, filename_disk: filenameDisk, filesize: size, uploaded_on: new Date().toISOString() });
	}

	return {
		async findFolder({ name, parent }) {
			const folders = await service(services.FoldersService);
			const [found] = await folders.readByQuery({
				fields: ['id'],
				filter: { _and: [{ name: { _eq: name } }, parent ? { parent: { _eq: parent } } : { parent: { _null: true } }] },
				sort: ['id'],
				limit: 1,
			});
			return found?.id ?? null;
		},

		async createFolder({ name, parent }) {
			return await (await service(services.FoldersService)).createOne({ name, parent });
		},

		async openFile({ storage, folder, filename }) {
			assertCanSeal(secret);
			const body = sealer(secret);
			body.on('error', () => {}); // a refused write is reported through `failure`
			const file = { id: randomUUID(), storage, folder, filename, body, failure: null };
			file.stored = store(file);
			file.stored.catch((error) => {
				file.failure ??= error ?? new Error('the storage refused the file');
				body.destroy();
			});
			const handle = ++handles;
			open.set(handle, file);
			return handle;
		},

		// `chunk`: the core's bytes (a view of its memory, copied at once) or text.
		async appendFile(handle, chunk) {
			const file = open.get(handle);
			if (!file) throw new Error(`no open file ${handle}`);
			if (file.failure) throw storageError(file);
			if (!file.body.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk))) {
				// Full: wait until the storage has read it, or has given up.
				await /** @type {Promise<void>} */ (new Promise((resolve) => {
					const done = () => {
						file.body.off('drain', done);
						file.body.off('close', done);
						resolve();
					};
					file.body.on('drain', done);
					file.body.on('close', done);
				}));
			}
			if (file.failure) throw storageError(file);
		},

		async closeFile(handle) {
			const file = open.get(handle);
			if (!file) throw new Error(`no open file ${handle}`);
			open.delete(handle);
			if (!file.failure) file.body.end();
			try {
				return await file.stored;
			} catch {
				throw storageError(file);
			}
		},

		/** Let go of files the core left open (it closes them all, unless it was torn down). */
		dispose() {
			for (const file of open.values()) {
				file.failure ??= new Error('abandoned');
				file.body.destroy();
			}
			open.clear();
		},
	};
}
