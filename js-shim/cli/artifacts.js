// @ts-check
// A run's artifacts in a local folder (`--artifacts DIR`), where the extension puts them in the
// source's file library: the core's `Library` (folders, and files written as streams with
// backpressure), over the file system. Folders and files are readable by their owner only, and a
// file is never replaced: a name taken gets a numbered twin. A folder's or a file's id is its path
// relative to DIR.
import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { once } from 'node:events';

/** @typedef {import('../../target/pkg/table_migration.js').MigrationHost} MigrationHost */

/** Resolves when `stream` emits `event` (null), or with the error it emits first. */
const settled = (stream, event) => once(stream, event).then(() => null, (error) => error);

/** A name as one path segment: no separator, no `..`. */
function segment(name) {
	const safe = String(name).replace(/[/\\\0]/g, '_').replace(/^\.+$/, '_');
	return safe === '' ? '_' : safe;
}

/**
 * @param {string} root  the folder the artifacts go in (made if missing)
 * @returns {Pick<MigrationHost, 'findFolder' | 'createFolder' | 'openFile' | 'appendFile' | 'closeFile'>}
 */
export function localArtifacts(root) {
	const top = resolve(root);
	const pathOf = (id) => {
		const path = resolve(top, id ?? '.');
		if (path !== top && !path.startsWith(top + sep)) throw new Error(`artifact folder ${id} is outside ${top}`);
		return path;
	};
	const idOf = (path) => relative(top, path).split(sep).join('/');
	/** @type {Map<number, { stream: import('node:fs').WriteStream, path: string, failure: Error | null }>} */
	const open = new Map();
	let next = 1;

	return {
		async findFolder({ name, parent }) {
			const path = join(pathOf(parent), segment(name));
			const found = await stat(path).catch(() => null);
			return found?.isDirectory() ? idOf(path) : null;
		},
		async createFolder({ name, parent }) {
			const path = join(pathOf(parent), segment(name));
			await mkdir(path, { recursive: true, mode: 0o700 });
			return idOf(path);
		},
		async openFile({ folder, filename }) {
			const dir = pathOf(folder);
			await mkdir(dir, { recursive: true, mode: 0o700 });
			const name = segment(filename);
			const dot = name.lastIndexOf('.');
			for (let n = 1; ; n += 1) {
				const path = join(dir, n === 1 ? name : dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`);
				const stream = createWriteStream(path, { flags: 'wx', mode: 0o600 });
				const opened = await settled(stream, 'open');
				if (opened?.code === 'EEXIST') continue;
				if (opened) throw opened;
				const handle = next++;
				/** @type {{ stream: import('node:fs').WriteStream, path: string, failure: Error | null }} */
				const entry = { stream, path, failure: null };
				stream.on('error', (error) => (entry.failure = error));
				open.set(handle, entry);
				return handle;
			}
		},
		async appendFile(handle, bytes) {
			const entry = open.get(handle);
			if (!entry) throw new Error(`no artifact is open as ${handle}`);
			if (entry.failure) throw entry.failure;
			// A view of the core's memory: copied before anything else runs.
			if (!entry.stream.write(Buffer.from(bytes))) entry.failure ??= await settled(entry.stream, 'drain');
			if (entry.failure) throw entry.failure;
		},
		async closeFile(handle) {
			const entry = open.get(handle);
			if (!entry) throw new Error(`no artifact is open as ${handle}`);
			open.delete(handle);
			if (!entry.failure) {
				entry.stream.end();
				entry.failure = await settled(entry.stream, 'finish');
			}
			if (entry.failure) throw entry.failure;
			return idOf(entry.path);
		},
	};
}
