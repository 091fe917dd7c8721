// The judge of a migration: does the destination hold exactly the source's rows and files?
// Answers in the shape `POST /migration/verify` will have ({ status: "identical" | "contains" |
// "differs", tables: […] }), so the tests can switch to that endpoint once it exists; until then
// both sides are read through their REST APIs, like tests/e2e/data.test.mjs does.
import { isDeepStrictEqual } from 'node:util';
import { client } from '../../scripts/lib/api.mjs';
import { SAMPLE_COLLECTION_NAMES } from '../../scripts/lib/sample-schema.mjs';
import { sha256 } from './support.mjs';

/** Primary keys of the sample collections that are not `id`. */
const KEYS = { languages: 'code' };
/** Over REST, Directus lets only an update write created fields, and stamps date_updated as it
 * does (README, "Limits of the REST path"): those collections' date_updated legitimately differs. */
const STAMPED = { rest: ['authors', 'articles'], bulk: [] };
/** What Directus decides for its own storage, or stamps on every write. */
const FILE_LOCAL = ['storage', 'filename_disk', 'modified_on', 'modified_by'];
/** Where the sample rows reference files: `[collection, field]`. */
const FILE_REFERENCES = [['articles', 'cover'], ['articles_files', 'directus_files_id']];

async function rowsOf(instance, collection) {
	const key = KEYS[collection] ?? 'id';
	const data = await client(instance.url, instance.token).get(`/items/${collection}?limit=-1&sort=${key}&fields=*`);
	if (data === null) return [];
	return Array.isArray(data) ? data : [data]; // a singleton answers with its one row
}

async function fileRow(instance, id) {
	const res = await client(instance.url, instance.token).request('GET', `/files/${id}`);
	if (res.status === 403 || res.status === 404) return null;
	if (res.status !== 200) throw new Error(`GET /files/${id} answered ${res.status}`);
	const row = res.body.data;
	for (const field of FILE_LOCAL) delete row[field];
	return row;
}

/** Equal values, whatever the order of an object's keys (JSON fields come back in either). */
const same = (a, b) => isDeepStrictEqual(a, b);

/** Compare rows by key: `{ collection, source, destination, missing, extra, duplicates, differing, fields }`. */
function compare(collection, key, ours, theirs, expected) {
	const table = { collection, source: ours.length, destination: theirs.length, missing: [], extra: [], duplicates: [], differing: [], fields: {} };
	const there = new Map();
	for (const row of theirs) {
		const k = String(row[key]);
		if (there.has(k)) table.duplicates.push(row[key]);
		there.set(k, row);
	}
	const here = new Set();
	for (const row of ours) {
		const k = String(row[key]);
		here.add(k);
		const theirRow = there.get(k);
		if (!theirRow) {
			table.missing.push(row[key]);
			continue;
		}
		const want = expected(row);
		const fields = [...new Set([...Object.keys(want), ...Object.keys(theirRow)])].filter((f) => !same(want[f], theirRow[f]));
		if (fields.length) {
			table.differing.push({ key: row[key], fields: Object.fromEntries(fields.map((f) => [f, { source: want[f] ?? null, destination: theirRow[f] ?? null }])) });
			for (const f of fields) table.fields[f] = (table.fields[f] ?? 0) + 1;
		}
	}
	for (const row of theirs) if (!here.has(String(row[key]))) table.extra.push(row[key]);
	return table;
}

function describe(table) {
	const parts = [];
	if (table.missing.length) parts.push(`${table.missing.length} missing`);
	if (table.extra.length) parts.push(`${table.extra.length} extra`);
	if (table.duplicates.length) parts.push(`${table.duplicates.length} duplicated`);
	if (table.differing.length) parts.push(`${table.differing.length} differ (${Object.entries(table.fields).map(([f, n]) => `${f}: ${n}`).join(', ')})`);
	return parts.length ? `${table.collection}: ${parts.join(', ')} of ${table.source}` : null;
}

/**
 * Does `destination` hold exactly `source`'s sample rows and the files they reference?
 * @param {object} source       the source instance (`url`, `token`)
 * @param {object} destination  the destination instance (its own URL, not a proxy's)
 * @param {object} options
 * @param {'rest'|'bulk'} options.transport  what moved the rows (REST legitimately differs in a few fields)
 * @returns {Promise<{ status: 'identical'|'contains'|'differs', tables: object[], message: string }>}
 */
export async function judge(source, destination, { transport }) {
	const destinationUsers = new Set((await client(destination.url, destination.token).get('/users?fields=id&limit=-1')).map((u) => u.id));
	const tables = [];
	const referencedFiles = new Set();
	for (const collection of SAMPLE_COLLECTION_NAMES) {
		const [ours, theirs] = await Promise.all([rowsOf(source, collection), rowsOf(destination, collection)]);
		for (const [referencing, field] of FILE_REFERENCES) {
			if (referencing === collection) for (const row of ours) if (row[field]) referencedFiles.add(row[field]);
		}
		const expected = (row) => {
			const copy = { ...row };
			// A user the destination does not have arrives as null (README: references to missing rows).
			if (copy.user_created && !destinationUsers.has(copy.user_created)) copy.user_created = null;
			return copy;
		};
		const stamped = STAMPED[transport].includes(collection);
		const strip = (row) => {
			const copy = { ...row };
			if (stamped) delete copy.date_updated;
			return copy;
		};
		tables.push(compare(collection, KEYS[collection] ?? 'id', ours.map(strip), theirs.map(strip), expected));
	}

	// Files: the referenced ones, with their metadata and identical bytes; no others.
	const files = { collection: 'directus_files', source: referencedFiles.size, destination: 0, missing: [], extra: [], duplicates: [], differing: [], fields: {} };
	const theirFiles = (await client(destination.url, destination.token).get('/files?fields=id&limit=-1')).map((f) => f.id);
	files.destination = theirFiles.length;
	files.extra = theirFiles.filter((id) => !referencedFiles.has(id));
	for (const id of referencedFiles) {
		const [ours, theirs] = await Promise.all([fileRow(source, id), fileRow(destination, id)]);
		if (!theirs) {
			files.missing.push(id);
			continue;
		}
		const fields = Object.keys({ ...ours, ...theirs }).filter((f) => !same(ours[f], theirs[f]));
		const [ourBytes, theirBytes] = await Promise.all([sha256(source, id), sha256(destination, id).catch((e) => e.message)]);
		if (ourBytes !== theirBytes) fields.push('bytes (sha256)');
		if (fields.length) {
			files.differing.push({ key: id, fields: Object.fromEntries(fields.map((f) => [f, { source: ours[f] ?? null, destination: theirs[f] ?? null }])) });
			for (const f of fields) files.fields[f] = (files.fields[f] ?? 0) + 1;
		}
	}
	tables.push(files);

	const differs = tables.some((t) => t.missing.length || t.differing.length || t.duplicates.length);
	const extra = tables.some((t) => t.extra.length);
	const status = differs ? 'differs' : extra ? 'contains' : 'identical';
	const message = tables.map(describe).filter(Boolean).join('; ') || 'identical';
	return { status, tables, message, table: (name) => tables.find((t) => t.collection === name) };
}
