// @ts-check
// The source's files, streamed from its storage straight into a request to the destination, and
// the verification's checksums: the source's bytes and the destination's `/assets/:id`, hashed as
// they stream.
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * POST (or PATCH) a stream with node:http(s). (`fetch` with a streamed body keeps the whole body in memory
 * until the request ends: measured +226 MB for a 200 MB file, against +43 MB here.)
 */
export function postStream(url, method, headers, body, timeoutMs) {
	const target = new URL(url);
	const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
	return new Promise((resolve, reject) => {
		const request = send(target, { method, headers: Object.fromEntries(headers), signal: AbortSignal.timeout(timeoutMs) }, (response) => {
			const chunks = [];
			response.on('data', (chunk) => chunks.push(chunk));
			response.on('error', reject);
			response.on('end', () =>
				resolve({
					status: response.statusCode,
					retryAfter: response.headers['retry-after'] ?? null,
					location: response.headers.location ?? null,
					body: Buffer.concat(chunks).toString('utf8'),
				}),
			);
		});
		request.on('error', reject);
		pipeline(body, request).catch(reject);
	});
}

/** sha256 (hex) and length of a stream of bytes, chunk by chunk. */
export async function digest(stream) {
	const hash = createHash('sha256');
	let bytes = 0;
	for await (const chunk of stream) {
		hash.update(chunk);
		bytes += chunk.length;
	}
	return { sha256: hash.digest('hex'), bytes };
}

/**
 * GET a URL and hash its body as it streams: `{ status, retryAfter, location, body }`, `body` the
 * digest's JSON on success. A redirect is answered as it came, never followed (the token would go
 * along, and the address it points at was never checked): the core refuses it.
 */
export async function digestDownload({ url, headers, timeoutMs }) {
	const response = await fetch(url, { headers: Object.fromEntries(headers), redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
	const retryAfter = response.headers.get('retry-after');
	const location = response.headers.get('location');
	if (!response.ok) return { status: response.status, retryAfter, location, body: await response.text() };
	return { status: response.status, retryAfter, location, body: JSON.stringify(await digest(response.body)) };
}

/** An error reading the source's own file: not retried, reported against the file. */
function sourceError(error) {
	return Object.assign(new Error(error?.message ?? String(error)), { source: true, code: error?.code });
}

/**
 * `{ database, services, accountability, schema() }` → `sendFile`, `fileDigest` and `digestDownload` of the core's host.
 * @returns {Pick<import('../../../target/pkg/table_migration.js').MigrationHost, 'sendFile' | 'fileDigest' | 'digestDownload'>}
 */
export function fileStreamer({ database, services, accountability, schema }) {
	const asset = async (file) => new services.AssetsService({ schema: await schema(), knex: database, accountability }).getAsset(file);
	return {
		// The verification: the source file's bytes as its storage has them (no transformation).
		async fileDigest(file) {
			const { stream } = await asset(file);
			try {
				return await digest(stream);
			} finally {
				stream.destroy?.();
			}
		},

		digestDownload,

		// The file's bytes go from the source's storage into the request body, chunk by chunk, with
		// backpressure: neither this process nor the WASM core ever holds a whole file.
		async sendFile({ file, method, url, headers, prefix, suffix, timeoutMs }) {
			let stream;
			try {
				({ stream } = await asset(file));
			} catch (error) {
				throw sourceError(error);
			}
			async function* body() {
				yield Buffer.from(prefix, 'utf8');
				try {
					for await (const chunk of stream) yield chunk;
				} catch (error) {
					throw sourceError(error);
				}
				yield Buffer.from(suffix, 'utf8');
			}
			try {
				return await postStream(url, method ?? 'POST', headers, Readable.from(body()), timeoutMs);
			} finally {
				stream.destroy?.();
			}
		},
	};
}
