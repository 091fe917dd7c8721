// Files for the sample data: real PNG images (so Directus extracts their dimensions), text and
// binary files from a few bytes to tens of megabytes, in nested folders. Large files are written
// to disk and uploaded from there, never held in memory.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import { client } from './api.mjs';

/** A valid PNG of `width` × `height` with noisy pixels (so it does not compress to nothing). */
export function png(width, height, seed = 1) {
	const chunk = (type, data) => {
		const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
		const length = Buffer.alloc(4);
		length.writeUInt32BE(data.length);
		const crc = Buffer.alloc(4);
		crc.writeUInt32BE(crc32(body));
		return Buffer.concat([length, body, crc]);
	};
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header[8] = 8; // bit depth
	header[9] = 2; // truecolour
	const raw = Buffer.alloc((width * 3 + 1) * height);
	let state = seed;
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width * 3; x++) {
			state = (state * 1103515245 + 12345) & 0x7fffffff;
			raw[y * (width * 3 + 1) + 1 + x] = (x + y * 3 + (state >> 16)) & 0xff;
		}
	}
	return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Write `megabytes` of random bytes to a temporary file; returns its path and sha256. */
export async function bigFile(megabytes) {
	const dir = await mkdtemp(join(tmpdir(), 'tm-bigfile-'));
	const path = join(dir, `random-${megabytes}mb.bin`);
	const hash = createHash('sha256');
	const out = createWriteStream(path);
	for (let i = 0; i < megabytes; i++) {
		const block = randomBytes(1024 * 1024);
		hash.update(block);
		if (!out.write(block)) await new Promise((r) => out.once('drain', r));
	}
	await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
	return { path, sha256: hash.digest('hex'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Upload one file (multipart, fields before the file); `content` is a Buffer or a file path. */
export async function uploadFile(instance, { name, type, content, fields = {} }) {
	const form = new FormData();
	for (const [key, value] of Object.entries(fields)) form.append(key, typeof value === 'string' ? value : JSON.stringify(value));
	const blob = Buffer.isBuffer(content) ? new Blob([content], { type }) : await openAsBlob(content, { type });
	form.append('file', blob, name);
	const res = await fetch(`${instance.url}/files`, { method: 'POST', headers: { Authorization: `Bearer ${instance.token}` }, body: form });
	const body = await res.json();
	if (!res.ok) throw new Error(`upload of ${name} failed: ${JSON.stringify(body)}`);
	return body.data;
}

/** Folders `Media › Photos › 2026` and `Media › Documents`; returns their ids by name. */
export async function createFolders(instance) {
	const api = client(instance.url, instance.token);
	const media = await api.post('/folders', { name: 'Media' });
	const photos = await api.post('/folders', { name: 'Photos', parent: media.id });
	const year = await api.post('/folders', { name: '2026', parent: photos.id });
	const documents = await api.post('/folders', { name: 'Documents', parent: media.id });
	return { media: media.id, photos: photos.id, year: year.id, documents: documents.id };
}

/**
 * A realistic set of files: `images` PNGs (a few KB to a few hundred KB) in nested folders, text
 * and binary documents, and optional large files of `largeMegabytes`. Returns the uploaded file
 * rows and the folders.
 */
export async function seedSampleFiles(instance, { images = 6, documents = 4, largeMegabytes = [] } = {}) {
	const folders = await createFolders(instance);
	const files = [];
	for (let i = 0; i < images; i++) {
		const size = 16 + ((i * 37) % 200);
		files.push(await uploadFile(instance, {
			name: `photo-${i}.png`,
			type: 'image/png',
			content: png(size, Math.max(8, size - 10), i + 1),
			fields: { folder: i % 2 ? folders.year : folders.photos, title: `Photo ${i} — Straße 日本`, description: i % 3 ? null : `A noisy test image #${i}` },
		}));
	}
	for (let i = 0; i < documents; i++) {
		const content = i === 0 ? Buffer.from('tiny: 17 bytes\n!') : randomBytes(1024 * (1 + ((i * 300) % 700)));
		files.push(await uploadFile(instance, {
			name: i === 0 ? 'note.txt' : `report-${i}.bin`,
			type: i === 0 ? 'text/plain' : 'application/octet-stream',
			content,
			fields: { folder: folders.documents, tags: ['sample', `doc-${i}`] },
		}));
	}
	for (const megabytes of largeMegabytes) {
		const big = await bigFile(megabytes);
		try {
			files.push(await uploadFile(instance, { name: `archive-${megabytes}mb.bin`, type: 'application/octet-stream', content: big.path, fields: { folder: folders.media } }));
		} finally {
			await big.cleanup();
		}
	}
	return { files, folders };
}
