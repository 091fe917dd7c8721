// @ts-check
// The source instance read through its REST API with an admin's token: the command line's half of
// the core's `MigrationHost` that the extension reads in-process (js-shim/endpoint/host/source.js).
// Rows are the API's (the bulk receiver, which takes rows as stored, is never used: the core
// decides that from `sourceOverApi`); pages are keyset pages by primary key (`_gt` the last key,
// sorted), as the in-process reader pages; files stream from `/assets/:id`.
import { Readable } from 'node:stream';
import { digest, postStream } from '../endpoint/host/files.js';

/** @typedef {import('../../target/pkg/table_migration.js').MigrationHost} MigrationHost */

/** How long one read of the source may take. */
const TIMEOUT_MS = 120_000;
/** A read the source could not answer (unreachable, 429, 502–504) is tried this often in all. */
const TRIES = 6;
/** Statuses that say "later", not "no". */
const LATER = new Set([429, 502, 503, 504]);

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long to wait before try `attempt` + 1: the source's `Retry-After` (seconds, at most a minute), or a growing backoff. */
function backoff(attempt, retryAfter) {
	const asked = Number(retryAfter);
	if (Number.isFinite(asked) && asked >= 0) return Math.min(asked, 60) * 1000;
	return Math.min(250 * 2 ** attempt, 8_000) + Math.floor(Math.random() * 100);
}

/** An error of the source instance: `code` SOURCE_UNREACHABLE, SOURCE_UNAUTHORIZED, … and the HTTP status it answered. */
export class SourceError extends Error {
	/** @param {string} message @param {string} code @param {number} [status] */
	constructor(message, code, status) {
		super(message);
		this.name = 'SourceError';
		this.code = code;
		this.status = status;
	}
}

/** The code of a source's refusal by its HTTP status. */
function codeOf(status) {
	if (status === 401) return 'SOURCE_UNAUTHORIZED';
	if (status === 403) return 'SOURCE_FORBIDDEN';
	return 'SOURCE_ERROR';
}

/**
 * `{ url, token }` of the source → a small client: `call(method, path, body)` resolves to the
 * response's text (2xx), or throws a SourceError quoting the source's own message.
 */
export function sourceClient({ url, token }, { tries = TRIES } = {}) {
	const base = url.replace(/\/+$/, '');
	const headers = { Authorization: `Bearer ${token}` };

	/** @returns {Promise<Response>} */
	async function send(method, path, body) {
		try {
			return await fetch(`${base}${path}`, {
				method,
				headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
				body: body === undefined ? undefined : JSON.stringify(body),
				redirect: 'manual',
				signal: AbortSignal.timeout(TIMEOUT_MS),
			});
		} catch (error) {
			const why = error?.name === 'TimeoutError' ? `no answer in ${TIMEOUT_MS / 1000} s` : (error?.cause?.message ?? error?.message);
			throw new SourceError(`the source ${base} cannot be reached: ${why}`, 'SOURCE_UNREACHABLE');
		}
	}

	async function refusal(response, method, path) {
		const text = await response.text().catch(() => '');
		let message = text.replace(/\s+/g, ' ').slice(0, 200) || `HTTP ${response.status}`;
		try {
			message = JSON.parse(text).errors.map((e) => e.message).join('; ') || message;
		} catch {
			// not Directus' JSON: the excerpt
		}
		const where = `${method} ${path.split('?')[0]}`;
		if (response.status >= 300 && response.status < 400) {
			return new SourceError(`the source answered ${where} with a redirect to ${response.headers.get('location')}, which is never followed (the token would go along): give its final address as --from`, 'SOURCE_REDIRECTED', response.status);
		}
		return new SourceError(`the source refused ${where} (HTTP ${response.status}): ${message}`, codeOf(response.status), response.status);
	}

	/**
	 * The source's 2xx answer. Reads change nothing, so one the source could not answer (it was
	 * unreachable, or said 429 or 502–504: a rate limit, a restart behind a proxy) is tried again,
	 * after its Retry-After or a growing pause; any other answer is final.
	 * @returns {Promise<Response>}
	 */
	async function answered(method, path, body) {
		for (let attempt = 1; ; attempt += 1) {
			let response;
			try {
				response = await send(method, path, body);
			} catch (error) {
				if (attempt >= tries) throw error;
				await pause(backoff(attempt));
				continue;
			}
			if (response.ok) return response;
			if (!LATER.has(response.status) || attempt >= tries) throw await refusal(response, method, path);
			await response.body?.cancel();
			await pause(backoff(attempt, response.headers.get('retry-after')));
		}
	}

	return {
		base,
		headers,
		/** The 2xx answer's body as text. */
		async text(method, path, body) {
			return (await answered(method, path, body)).text();
		},
		/** The 2xx answer's body as a stream of bytes. */
		async stream(path) {
			const response = await answered('GET', path);
			if (!response.body) throw await refusal(response, 'GET', path);
			return Readable.fromWeb(/** @type {any} */ (response.body));
		},
	};
}

/** Where a collection's items are: Directus' own collections have routes of their own (`directus_users` → `/users`). */
export function itemsPath(collection) {
	return collection.startsWith('directus_') ? `/${collection.slice('directus_'.length)}` : `/items/${encodeURIComponent(collection)}`;
}

/**
 * `data` of a Directus answer; with `exact` fields, their integers beyond 2^53 as the digits the
 * source sent (JSON.parse's source text), as the in-process reader gives them.
 */
function dataOf(text, exact = []) {
	if (exact.length === 0) return JSON.parse(text).data;
	const wanted = new Set(exact);
	return JSON.parse(text, (key, value, context) =>
		typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value) && wanted.has(key) && context?.source ? context.source : value,
	).data;
}

/** A query as an address's parameters, as Directus reads them (objects as JSON, lists comma-separated). */
function asParams(query) {
	const params = new URLSearchParams();
	for (const [name, value] of Object.entries(query)) {
		if (value === undefined) continue;
		params.set(name, Array.isArray(value) ? value.join(',') : typeof value === 'object' ? JSON.stringify(value) : String(value));
	}
	return params.toString();
}

/** `{ _and: [...] }` of the filters given (null: none). */
function both(...filters) {
	const given = filters.filter(Boolean);
	return given.length === 0 ? undefined : given.length === 1 ? given[0] : { _and: given };
}

/** Raw reads are the in-process host's: the core never asks them of this one (it says why). */
function noRaw(what) {
	throw new SourceError(`${what} as stored needs the extension installed on the source: the command line reads the source through its REST API`, 'SOURCE_RAW_READ');
}

/**
 * The source over REST → the core's reads of the source, its files and its tables' columns.
 * @param {ReturnType<typeof sourceClient>} source
 * @returns {Pick<MigrationHost, 'readPage' | 'count' | 'readByKeys' | 'schemaSnapshot' | 'describeTable' | 'fileDigest' | 'sendFile'>}
 */
export function restSource(source) {
	// SEARCH takes the query as a JSON body: no URL grows with a page of keys. A singleton's
	// route answers its one row as an object (or its defaults, without a key, when it has none):
	// as a list here, as ItemsService reads it in-process.
	// A route without SEARCH (`/settings`) is read with GET, the query in its address.
	const getOnly = new Set();
	const read = async (path, query) => {
		if (!getOnly.has(path)) {
			try {
				return await source.text('SEARCH', path, { query });
			} catch (error) {
				if (error?.status !== 404) throw error;
				getOnly.add(path);
			}
		}
		return source.text('GET', `${path}?${asParams(query)}`);
	};
	const search = async (collection, query, exact, primaryKey) => {
		const data = dataOf(await read(itemsPath(collection), query), exact);
		if (Array.isArray(data)) return data;
		if (data && typeof data === 'object' && (primaryKey === undefined || (data[primaryKey] !== null && data[primaryKey] !== undefined))) return [data];
		return [];
	};

	return {
		async readPage({ collection, primaryKey, fields, after, limit, filter, raw, exact = [] }) {
			if (raw) noRaw(`reading ${collection}'s rows`);
			const wanted = fields.length === 0 ? ['*'] : fields.includes(primaryKey) ? fields : [primaryKey, ...fields];
			const cursor = after === null || after === undefined ? null : { [primaryKey]: { _gt: after } };
			const rows = await search(collection, { fields: wanted, filter: both(filter, cursor), sort: [primaryKey], limit }, exact, primaryKey);
			// The filter runs in the source's database with the cursor: every row it scanned is one it kept.
			return JSON.stringify({ rows, last: rows.at(-1)?.[primaryKey] ?? null, scanned: rows.length });
		},

		async count({ collection, filter }) {
			const [result] = await search(collection, { aggregate: { count: ['*'] }, filter: filter ?? undefined });
			return Number(result?.count ?? 0);
		},

		async readByKeys({ collection, primaryKey, keys, fields, raw }) {
			if (raw) noRaw(`reading ${collection}'s rows`);
			if (keys.length === 0) return '[]';
			const rows = await search(collection, { fields: fields.length > 0 ? fields : ['*'], filter: { [primaryKey]: { _in: keys } }, limit: keys.length }, [], primaryKey);
			return JSON.stringify(rows);
		},

		async schemaSnapshot() {
			return JSON.stringify(dataOf(await source.text('GET', '/schema/snapshot')));
		},

		// The columns of a collection as the source's /fields lists them (an alias has no column).
		async describeTable(collection) {
			let fields;
			try {
				fields = dataOf(await source.text('GET', `/fields/${encodeURIComponent(collection)}`));
			} catch (error) {
				if (error?.status === 403 || error?.status === 404) return null;
				throw error;
			}
			if (!Array.isArray(fields) || fields.length === 0) return null;
			const primaryKey = fields.find((f) => f.schema?.is_primary_key)?.field ?? 'id';
			const described = fields.map((f) => ({ field: f.field, type: f.type ?? 'unknown', defaultValue: f.schema?.default_value ?? null }));
			return JSON.stringify({ collection, primaryKey, fields: described });
		},

		// The file's bytes as /assets serves them untransformed: the bytes the source stores.
		async fileDigest(file) {
			const stream = await source.stream(`/assets/${encodeURIComponent(file)}`);
			try {
				return await digest(stream);
			} finally {
				stream.destroy();
			}
		},

		// From the source's /assets into the request to the destination, chunk by chunk, with
		// backpressure: never a whole file in memory.
		async sendFile({ file, method, url, headers, prefix, suffix, timeoutMs }) {
			let stream;
			try {
				stream = await source.stream(`/assets/${encodeURIComponent(file)}`);
			} catch (error) {
				throw Object.assign(error, { source: true });
			}
			async function* body() {
				yield Buffer.from(prefix, 'utf8');
				try {
					for await (const chunk of /** @type {Readable} */ (stream)) yield chunk;
				} catch (error) {
					throw Object.assign(new Error(`reading the source's file ${file}: ${error?.message}`), { source: true });
				}
				yield Buffer.from(suffix, 'utf8');
			}
			try {
				return await postStream(url, method ?? 'POST', headers, Readable.from(body()), timeoutMs);
			} finally {
				stream.destroy();
			}
		},
	};
}

/**
 * Before anything else: the source answers, the token is good, and it is an admin's (its schema
 * snapshot, which only an admin may read). Throws a SourceError saying which.
 */
export async function checkSource(source) {
	await source.text('GET', '/server/ping');
	await source.text('GET', '/users/me?fields=id');
	try {
		await source.text('GET', '/schema/snapshot');
	} catch (error) {
		if (error?.status === 403) throw new SourceError('the source token is not an admin\'s: the command line reads the source\'s schema and every row, which needs an admin token', 'SOURCE_FORBIDDEN', 403);
		throw error;
	}
}
