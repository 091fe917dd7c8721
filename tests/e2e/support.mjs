// Helpers shared by the end-to-end suites.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { client } from '../../scripts/lib/api.mjs';
import { CACHE, ROOT, startPair, VERSIONS } from '../../scripts/lib/directus.mjs';
import { DATABASES } from '../../scripts/lib/databases.mjs';
import { createSampleSchema } from '../../scripts/lib/sample-schema.mjs';

/**
 * Every database × Directus version the suites run on (`TM_DATABASES`, `DIRECTUS_VERSIONS`), with
 * a label for test names: `{ db, version, label }`.
 */
export const MATRIX = DATABASES.flatMap((db) => VERSIONS.map((version) => ({ db, version, label: `Directus ${version} on ${db}` })));

/** A source with the sample schema (no rows yet) and an empty destination, both with the extension, on `db`. */
export async function startSamplePair(version, db = 'sqlite') {
	const pair = await startPair(version, { db });
	const { source, destination } = pair;
	await createSampleSchema(source);
	return { pair, source, destination, target: { baseURL: destination.url, token: destination.token } };
}

/** sha256 of a file's bytes as `/assets/:id` serves them, streamed. */
export async function sha256(instance, id) {
	const res = await fetch(`${instance.url}/assets/${id}`, { headers: { Authorization: `Bearer ${instance.token}` } });
	if (res.status !== 200) throw new Error(`GET /assets/${id} answered ${res.status}`);
	const hash = createHash('sha256');
	for await (const chunk of res.body) hash.update(chunk);
	return hash.digest('hex');
}

/** The collections, fields and relations of `collections` in an instance's schema snapshot, sorted. */
export async function schemaOf(instance, collections) {
	const snapshot = await client(instance.url, instance.token).get('/schema/snapshot');
	const wanted = (item) => collections.includes(item.collection);
	const byKey = (a, b) => `${a.collection}.${a.field ?? ''}`.localeCompare(`${b.collection}.${b.field ?? ''}`);
	return {
		collections: snapshot.collections.filter(wanted).sort(byKey),
		fields: snapshot.fields.filter(wanted).sort(byKey),
		relations: snapshot.relations.filter(wanted).sort(byKey),
	};
}

export async function fullSnapshot(instance) {
	const { version, directus, vendor, ...rest } = await client(instance.url, instance.token).get('/schema/snapshot');
	return rest;
}

/** The closing report of an NDJSON migration stream, with a lookup per collection. */
export function summaryOf(res) {
	const last = JSON.parse(res.lines.at(-1));
	if (last.type !== 'summary') throw new Error(`the stream did not end with a summary: ${res.text.slice(-1500)}`);
	return { ...last, table: (name) => last.tables.find((t) => t.collection === name) };
}

/** POST a migration route on the source as its admin; returns `{ status, body, text, lines }`. */
export async function migrationCall(source, route, body, { token = source.token, accept } = {}) {
	const res = await client(source.url, token).request('POST', `/migration/${route}`, body, accept ? { Accept: accept } : {});
	return { ...res, lines: res.text.split('\n').filter(Boolean) };
}

/** Run `work(knex)` on an instance's own database (with the knex its Directus runtime ships). */
export async function queryDatabase(instance, work) {
	const require = createRequire(join(CACHE, `directus-${instance.version}`, 'node_modules/@directus/api/package.json'));
	const knex = require('knex')({ ...instance.knexConfig, pool: { min: 0, max: 1 } });
	try {
		return await work(knex);
	} finally {
		await knex.destroy();
	}
}

/** The ids of the run artifacts' folders among `folders` ({id, name, parent}): the top folder
 * "Migrations" and its run folders. The source's own records of its runs; no run moves them. */
export function artifactFolders(folders) {
	const top = folders.find((f) => f.name === 'Migrations' && f.parent == null)?.id;
	if (!top) return new Set();
	return new Set([top, ...folders.filter((f) => f.parent === top).map((f) => f.id)]);
}

/**
 * `node dist/cli.js ...args` (the command line) with `env` added to this process's environment:
 * `{ code, stdout, stderr }` once it exits.
 */
export function commandLine(args, env) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.on('error', reject);
		child.on('close', (code) => resolve({ code, stdout, stderr }));
	});
}
