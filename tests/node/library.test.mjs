// The shim's file library in plain Node, with fake Directus services and storage: artifacts are
// streamed with backpressure (an append waits while the storage is behind), a storage that refuses
// a file fails its appends and its close with the storage's own message, the file's row is made
// only once the storage holds every byte, and what the storage holds is sealed under SECRET (the
// row says application/octet-stream); without SECRET no file is opened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileLibrary } from '../../js-shim/endpoint/host/library.js';
import { looksSealed, opener } from '../../js-shim/endpoint/host/seal.js';

const SECRET = 'library-test-secret-7c1d';

/** The plaintext of sealed `bytes`. */
async function unsealed(bytes, secret = SECRET) {
	const out = [];
	await pipeline(Readable.from([bytes]), opener(secret), new Writable({ write: (c, _e, done) => (out.push(c), done()) }));
	return Buffer.concat(out).toString('utf8');
}

/** A storage location that reads slowly, keeping what it was given, or refuses after `failAfter` bytes. */
function slowStorage({ failAfter = Infinity } = {}) {
	const written = new Map();
	const progress = { read: 0 };
	const disk = {
		async write(path, stream) {
			const chunks = [];
			for await (const chunk of stream) {
				progress.read += chunk.length;
				if (progress.read > failAfter) throw Object.assign(new Error('AccessDenied: s3:PutObject not allowed'), { code: 'AccessDenied' });
				chunks.push(chunk);
				await sleep(2);
			}
			written.set(path, Buffer.concat(chunks));
		},
		async stat(path) {
			return { size: written.get(path).length };
		},
	};
	return { written, progress, manager: { location: (name) => (name === 'archive' ? disk : assert.fail(`location ${name}`)) } };
}

function fakeDirectus() {
	const rows = [];
	const folders = [];
	class FilesService {
		async createOne(row) {
			rows.push(row);
			return row.id;
		}
		async uploadOne(stream, row) {
			const chunks = [];
			for await (const chunk of stream) chunks.push(chunk);
			rows.push({ ...row, bytes: Buffer.concat(chunks) });
			return row.id;
		}
	}
	class FoldersService {
		async readByQuery({ filter }) {
			const [name, parent] = filter._and;
			return folders.filter((f) => f.name === name.name._eq && (parent.parent._null ? f.parent === null : f.parent === parent.parent._eq));
		}
		async createOne({ name, parent }) {
			const id = `folder-${folders.length + 1}`;
			folders.push({ id, name, parent });
			return id;
		}
	}
	return { rows, folders, directus: { database: null, accountability: null, schema: async () => ({}), secret: SECRET, services: { FilesService, FoldersService } } };
}

const file = { storage: 'archive', folder: 'folder-1', filename: 'items_full_data_2026-11-22T10-30-45-123Z.json', type: 'application/json' };

test('appends wait while the storage is behind, and the row is made once it holds every byte', async () => {
	const { rows, directus } = fakeDirectus();
	const storage = slowStorage();
	const library = fileLibrary(directus, { storage: async () => storage.manager });
	const handle = await library.openFile(file);
	const chunk = 'x'.repeat(64 * 1024);
	let appended = 0;
	let ahead = 0;
	for (let i = 0; i < 40; i++) {
		await library.appendFile(handle, chunk);
		appended += chunk.length;
		ahead = Math.max(ahead, appended - storage.progress.read);
	}
	assert.ok(ahead <= 2 * chunk.length, `at most a chunk or two buffered, not ${ahead} bytes`);
	assert.equal(rows.length, 0, 'no row before the file is stored');
	const id = await library.closeFile(handle);
	const stored = storage.written.get(`${id}.sealed`);
	assert.ok(looksSealed(stored) && !stored.includes('xxxxxxxx'), 'sealed bytes, no plaintext');
	assert.equal(await unsealed(stored), chunk.repeat(40));
	assert.deepEqual(rows, [{ id, storage: 'archive', filename_download: file.filename, title: file.filename, type: 'application/octet-stream', folder: 'folder-1', filename_disk: `${id}.sealed`, filesize: stored.length, uploaded_on: rows[0].uploaded_on }]);
	assert.match(rows[0].uploaded_on, /^\d{4}-\d{2}-\d{2}T/);
});

test('a storage that refuses the file fails its appends and its close with its own message, and makes no row', async () => {
	const { rows, directus } = fakeDirectus();
	const storage = slowStorage({ failAfter: 100_000 });
	const library = fileLibrary(directus, { storage: async () => storage.manager });
	const handle = await library.openFile(file);
	let refused = null;
	for (let i = 0; i < 40 && !refused; i++) refused = await library.appendFile(handle, 'y'.repeat(16 * 1024)).then(() => null, (error) => error);
	assert.equal(refused?.message, 'storage "archive": AccessDenied: s3:PutObject not allowed');
	await assert.rejects(library.closeFile(handle), { message: 'storage "archive": AccessDenied: s3:PutObject not allowed' });
	assert.equal(rows.length, 0);
	await assert.rejects(library.appendFile(handle, 'z'), /no open file/);
});

test('without Directus storage manager, files go through FilesService.uploadOne', async () => {
	const { rows, directus } = fakeDirectus();
	const library = fileLibrary(directus, { storage: async () => null });
	const handle = await library.openFile(file);
	await library.appendFile(handle, '{"tags":[');
	await library.appendFile(handle, '{"id":1}]}');
	const id = await library.closeFile(handle);
	const { bytes, ...row } = rows[0];
	assert.deepEqual(row, { id, storage: 'archive', filename_download: file.filename, title: file.filename, type: 'application/octet-stream', folder: 'folder-1' });
	assert.ok(looksSealed(bytes) && !bytes.includes('"tags"'));
	assert.equal(await unsealed(bytes), '{"tags":[{"id":1}]}');
	await assert.rejects(unsealed(bytes, 'another-secret'), { code: 'ARTIFACT_WRONG_KEY' });
});

test('without SECRET no file is opened, and nothing reaches the storage', async () => {
	const { rows, directus } = fakeDirectus();
	const storage = slowStorage();
	for (const secret of [undefined, '']) {
		const library = fileLibrary({ ...directus, secret }, { storage: async () => storage.manager });
		await assert.rejects(library.openFile(file), { code: 'SECRET_NOT_SET', message: /^SECRET is not set on this instance/ });
	}
	await sleep(20);
	assert.deepEqual([rows.length, storage.written.size, storage.progress.read], [0, 0, 0]);
});

test('folders are found by name in their parent, and made', async () => {
	const { folders, directus } = fakeDirectus();
	const library = fileLibrary(directus, { storage: async () => null });
	assert.equal(await library.findFolder({ name: 'Migrations', parent: null }), null);
	const top = await library.createFolder({ name: 'Migrations', parent: null });
	const run = await library.createFolder({ name: 'Migration 2026-11-22T10-30-45-123Z', parent: top });
	assert.equal(await library.findFolder({ name: 'Migrations', parent: null }), top);
	assert.equal(await library.findFolder({ name: 'Migrations', parent: run }), null);
	assert.deepEqual(folders.map((f) => f.parent), [null, top]);
});

test('dispose lets go of files left open', async () => {
	const { rows, directus } = fakeDirectus();
	const storage = slowStorage();
	const library = fileLibrary(directus, { storage: async () => storage.manager });
	const handle = await library.openFile(file);
	await library.appendFile(handle, '{');
	library.dispose();
	await assert.rejects(library.appendFile(handle, '}'), /no open file/);
	await sleep(20);
	assert.equal(rows.length, 0);
});
