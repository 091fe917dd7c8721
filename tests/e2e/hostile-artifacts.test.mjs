// Artifacts as an attacker sees them. A site gives the Public policy read on directus_files (to
// serve images), and an editor's policy reads files but not the private collection. After a
// schema sync, a dry run and a run with artifacts, both list and download every file they can
// (/files, /assets/:id, /assets/:id?download): they reach every artifact, and get sealed bytes
// holding no private value and no JSON; GET /migration/artifacts/:id answers both 403. An admin
// gets the exact rows through that route.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { VERSIONS, startPair } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { migrationCall, summaryOf } from './support.mjs';

const ROWS = 40;
const ndjson = { accept: 'application/x-ndjson' };

/** The private collection and a private singleton, with values found nowhere else. */
async function privateData(api, mark) {
	const id = { field: 'id', type: 'integer', schema: { is_primary_key: true, has_auto_increment: true }, meta: { hidden: true } };
	await api.post('/collections', {
		collection: 'payroll',
		schema: {},
		meta: { icon: 'lock' },
		fields: [id, { field: 'employee', type: 'string', schema: {}, meta: {} }, { field: 'salary_note', type: 'text', schema: {}, meta: {} }],
	});
	await api.post('/collections', {
		collection: 'vault_settings',
		schema: {},
		meta: { singleton: true },
		fields: [id, { field: 'launch_code', type: 'string', schema: {}, meta: {} }],
	});
	const values = [];
	const rows = Array.from({ length: ROWS }, (_, i) => {
		const row = { employee: `Employee ${mark}-${i}`, salary_note: `salary-${mark}-${String(i).padStart(3, '0')}-${randomBytes(6).toString('hex')}` };
		values.push(row.employee, row.salary_note);
		return row;
	});
	await api.post('/items/payroll', rows);
	const code = `launch-${mark}-${randomBytes(8).toString('hex')}`;
	await api.patch('/items/vault_settings', { launch_code: code });
	return [...values, code];
}

/** The Public policy (the one given to no role and no user). */
async function publicPolicy(api) {
	const access = await api.get('/access?limit=-1&fields=policy,role,user');
	const policy = access.find((a) => a.role == null && a.user == null)?.policy;
	if (policy) return policy;
	const [named] = await api.get('/policies?filter[name][_eq]=$t:public_label&fields=id');
	return named.id;
}

/** GET `path` as `token` (none: anonymous): `{ status, bytes, text }`. */
async function get(instance, path, token) {
	const res = await fetch(`${instance.url}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
	const bytes = Buffer.from(await res.arrayBuffer());
	return { status: res.status, bytes, text: bytes.toString('utf8') };
}

/** Whether `bytes` hold any of `values`, or parse as JSON. */
function leaks(bytes, values) {
	const found = values.filter((value) => bytes.includes(value));
	let json = false;
	try {
		JSON.parse(bytes.toString('utf8'));
		json = true;
	} catch {
		// not JSON: good
	}
	return { found, json };
}

for (const version of VERSIONS) {
	describe(`artifacts against readers of directus_files on Directus ${version}`, () => {
		let pair, source, target, secrets, editorToken, artifacts, runReport;

		before(async () => {
			pair = await startPair(version);
			({ source } = pair);
			const { destination } = pair;
			target = { baseURL: destination.url, token: destination.token };
			const api = client(source.url, source.token);
			secrets = await privateData(api, randomBytes(4).toString('hex'));

			// The Public policy reads every file, as a site serving its images does.
			await api.post('/permissions', { policy: await publicPolicy(api), collection: 'directus_files', action: 'read', fields: ['*'], permissions: {} });
			// An editor whose policy reads every file, not the private collection.
			const policy = await api.post('/policies', { name: 'File readers', icon: 'image', app_access: true, admin_access: false });
			await api.post('/permissions', { policy: policy.id, collection: 'directus_files', action: 'read', fields: ['*'], permissions: {} });
			await api.post('/permissions', { policy: policy.id, collection: 'directus_folders', action: 'read', fields: ['*'], permissions: {} });
			const role = await api.post('/roles', { name: 'Site editors', icon: 'edit' });
			await api.post('/access', { role: role.id, policy: policy.id });
			editorToken = `editor-token-${randomBytes(8).toString('hex')}`;
			await api.post('/users', { email: 'editor@example.com', password: 'editor-password-1', role: role.id, token: editorToken });

			// A sync that applies, a dry run and a run, all with artifacts (the default).
			const sync = await migrationCall(source, 'schema-sync', target, { accept: 'application/json' });
			assert.equal(sync.status, 200, sync.text);
			const scope = { selectedTables: ['payroll', 'vault_settings'], transport: 'rest' };
			const dry = summaryOf(await migrationCall(source, 'dry-run', { ...target, scope }, ndjson));
			const run = summaryOf(await migrationCall(source, 'run', { ...target, scope }, ndjson));
			assert.equal(run.table('payroll').created, ROWS, run.message);
			artifacts = [sync.body.artifacts, dry.artifacts, run.artifacts];
			runReport = run;
			for (const a of artifacts) assert.equal(a.status, 'saved', JSON.stringify(a));
		});
		after(async () => {
			await pair?.stop();
		});

		test('the private collection is private: anonymous and the editor are refused its rows', async () => {
			for (const token of [null, editorToken]) {
				for (const path of ['/items/payroll', '/items/vault_settings']) {
					const res = await get(source, path, token);
					assert.equal(res.status, 403, `${token ? 'editor' : 'anonymous'} ${path}: ${res.text.slice(0, 200)}`);
				}
			}
		});

		for (const [who, tokenOf] of [['anonymous (Public read on directus_files)', () => null], ['the editor (reads files, not payroll)', () => editorToken]]) {
			test(`${who} lists and downloads every artifact, and gets sealed bytes with no private value in them`, async () => {
				const token = tokenOf();
				const ids = artifacts.flatMap((a) => a.files.map((f) => f.id));
				assert.ok(ids.length >= 11, `a sync's 3, a dry run's 5, a run's 5: ${ids.length}`);
				const listing = await get(source, '/files?limit=-1&fields=*', token);
				assert.equal(listing.status, 200, listing.text.slice(0, 300));
				const rows = JSON.parse(listing.text).data;
				assert.deepEqual(ids.filter((id) => !rows.some((r) => r.id === id)), [], 'the caller reaches every artifact (else this proves nothing)');
				assert.deepEqual(leaks(listing.bytes, secrets).found, [], 'the file rows hold no private value');
				for (const row of rows) {
					assert.equal(row.type, 'application/octet-stream', row.filename_download);
					assert.ok(!/payroll|vault|salary|launch/i.test(`${row.title} ${row.description ?? ''} ${row.filename_download}`), row.filename_download);
					for (const path of [`/assets/${row.id}`, `/assets/${row.id}?download`]) {
						const res = await get(source, path, token);
						assert.equal(res.status, 200, `${path}: ${res.text.slice(0, 200)}`);
						assert.ok(res.bytes.length > 48, path);
						assert.equal(res.bytes.subarray(0, 8).toString('latin1'), 'TMSEALED', `${path}: sealed`);
						assert.deepEqual(leaks(res.bytes, [...secrets, '"payroll"', '"salary_note"', 'vault_settings']), { found: [], json: false }, `${path} (${row.filename_download})`);
					}
					const opened = await get(source, `/migration/artifacts/${row.id}`, token);
					assert.equal(opened.status, 403, `/migration/artifacts/${row.id}: ${opened.text.slice(0, 200)}`);
					assert.equal(JSON.parse(opened.text).errors[0].extensions.code, 'FORBIDDEN');
					assert.deepEqual(leaks(opened.bytes, secrets).found, []);
				}
			});
		}

		test('an admin opens every artifact through GET /migration/artifacts/:id, the rows exactly as they are', async () => {
			const api = client(source.url, source.token);
			const run = artifacts.at(-1);
			const byBase = {};
			for (const { name, id, bytes } of run.files) {
				const res = await get(source, `/migration/artifacts/${id}`, source.token);
				assert.equal(res.status, 200, `${name}: ${res.text.slice(0, 200)}`);
				assert.equal(res.bytes.length, bytes, `${name}: as many bytes as the report says`);
				byBase[name.replace(/_\d{4}-.*$/, '')] = JSON.parse(res.text);
			}
			assert.deepEqual(byBase.items_full_data.payroll, await api.get('/items/payroll?limit=-1&sort=id'));
			assert.deepEqual(byBase.items_singleton.vault_settings, await api.get('/items/vault_settings'));
			const found = secrets.filter((value) => JSON.stringify([byBase.items_full_data, byBase.items_singleton]).includes(value));
			assert.equal(found.length, secrets.length, 'every private value is in the plaintext');
			assert.ok(byBase.schema.collections.some((c) => c.collection === 'payroll'));
			assert.deepEqual([byBase.report.processId, byBase.report.message], [runReport.processId, runReport.message]);
		});
	});
}
