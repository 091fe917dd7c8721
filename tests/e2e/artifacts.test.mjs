// Migration artifacts on real instances: every run (and dry run) saves timestamped JSON files in a
// folder of its own in the source's file library (Migrations/Migration <start>), each holding what
// it says, with no secret in any of them; an applying schema sync saves the destination's schema
// before it; the storage location comes from MIGRATION_STORAGE_LOCATION (an unknown one is
// refused, one that refuses writes leaves the run complete with the artifacts reported missing).
// The files are sealed: /assets gives sealed bytes even to an admin, GET /migration/artifacts/:id
// gives the JSON; a file altered on disk, or sealed under an earlier SECRET, is refused, and an
// instance without SECRET starts no run with artifacts.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSIONS, startPair } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { createSampleSchema } from '../../scripts/lib/sample-schema.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { seedSampleFiles } from '../../scripts/lib/sample-files.mjs';
import { migrationCall, sha256, summaryOf } from './support.mjs';

const SECRET = 'dest-token-artifacts-5d1e0b7c9a2f4e68';
const CONCEALED = 'concealed-api-key-4411';
const STAMP = '\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}-\\d{3}Z';
const named = (base) => new RegExp(`^${base}_${STAMP}\\.json$`);
const ndjson = { accept: 'application/x-ndjson' };

/** A local server that keeps the callbacks it receives. */
async function callbackReceiver() {
	const received = [];
	const server = createServer((req, res) => {
		let body = '';
		req.on('data', (chunk) => (body += chunk));
		req.on('end', () => {
			received.push(JSON.parse(body));
			res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${server.address().port}/hook`,
		async next(timeout = 120_000) {
			const deadline = Date.now() + timeout;
			while (received.length === 0) {
				if (Date.now() > deadline) throw new Error(`no callback within ${timeout} ms`);
				await new Promise((r) => setTimeout(r, 250));
			}
			return received.shift();
		},
		close: () => new Promise((resolve) => server.close(resolve)),
	};
}

/** GET `path` on `instance` as its admin: `{ status, headers, bytes }`. */
async function download(instance, path) {
	const res = await fetch(`${instance.url}${path}`, { headers: { Authorization: `Bearer ${instance.token}` } });
	return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/**
 * The files of a folder of the library, by name: `{ name: { id, storage, filesize, text, json,
 * sealed } }` — `text` through GET /migration/artifacts/:id, `sealed` the bytes /assets gives.
 */
async function folderFiles(instance, folderId) {
	const api = client(instance.url, instance.token);
	const rows = await api.get(`/files?limit=-1&fields=id,filename_download,storage,filesize,type,folder,filename_disk&filter[folder][_eq]=${folderId}`);
	const files = {};
	for (const row of rows) {
		const opened = await download(instance, `/migration/artifacts/${row.id}`);
		assert.equal(opened.status, 200, `GET /migration/artifacts/${row.id}: ${opened.bytes.toString().slice(0, 300)}`);
		assert.equal(opened.headers.get('content-type'), 'application/json; charset=utf-8');
		assert.equal(Number(opened.headers.get('content-length')), opened.bytes.length);
		assert.match(opened.headers.get('content-disposition'), new RegExp(`^attachment; filename="${row.filename_download}"`));
		const text = opened.bytes.toString('utf8');
		const assets = await download(instance, `/assets/${row.id}`);
		assert.equal(assets.status, 200, `GET /assets/${row.id}`);
		files[row.filename_download] = { ...row, text, json: JSON.parse(text), sealed: assets.bytes };
	}
	return files;
}

/** `file` is stored sealed: its row says nothing of it, /assets gives opaque bytes. */
function assertSealed(name, file) {
	assert.equal(file.type, 'application/octet-stream', name);
	assert.match(file.filename_disk, /^[0-9a-f-]{36}\.sealed$/, name);
	assert.equal(Number(file.filesize), file.sealed.length, name);
	assert.equal(file.sealed.subarray(0, 8).toString('latin1'), 'TMSEALED', name);
	// 48 bytes of header, the text, 16 bytes of tag per 64 KiB record (the last one shorter).
	const text = Buffer.byteLength(file.text);
	assert.equal(file.sealed.length, 48 + text + 16 * (Math.floor(text / 65536) + 1), name);
	assert.throws(() => JSON.parse(file.sealed.toString('utf8')), `${name}: /assets gives no JSON`);
	const start = file.text.slice(0, 40);
	if (start.length >= 16) assert.ok(!file.sealed.includes(start), `${name}: /assets holds its text`);
}

/** The file of `files` whose name is `<base>_<stamp>.json`. */
function one(files, base) {
	const matching = Object.keys(files).filter((name) => named(base).test(name));
	assert.equal(matching.length, 1, `${base}: ${Object.keys(files).join(', ')}`);
	return files[matching[0]];
}

async function migrationsFolders(instance) {
	const api = client(instance.url, instance.token);
	const [top] = await api.get('/folders?filter[name][_eq]=Migrations&filter[parent][_null]=true');
	if (!top) return { top: null, runs: [] };
	const runs = await api.get(`/folders?limit=-1&sort=name&filter[parent][_eq]=${top.id}`);
	return { top, runs };
}

for (const version of VERSIONS) {
	describe(`migration artifacts on Directus ${version}`, () => {
		let pair, source, destination, target, roots, hook, firstRun;

		before(async () => {
			// Two more storage locations on the source: an archive, and one whose root is a file, so
			// every write to it fails (as root, a read-only folder would still be writable).
			const work = await mkdtemp(join(tmpdir(), 'tm-artifacts-'));
			roots = { work, archive: join(work, 'archive'), broken: join(work, 'broken') };
			await writeFile(roots.broken, 'not a folder\n');
			pair = await startPair(version, { source: { storage: { archive: roots.archive, broken: roots.broken } } });
			({ source, destination } = pair);
			await createSampleSchema(source);
			const api = client(source.url, source.token);
			// A hashed and a concealed field: a bulk run reads them as stored.
			await api.post('/fields/authors', { field: 'password_hash', type: 'hash', meta: { special: ['hash'], interface: 'input-hash' }, schema: {} });
			await api.post('/fields/authors', { field: 'api_key', type: 'string', meta: { special: ['conceal'], interface: 'input', options: { masked: true } }, schema: {} });
			const { files } = await seedSampleFiles(source, { images: 3, documents: 2 });
			const images = files.filter((f) => f.type === 'image/png');
			const documents = files.filter((f) => f.type !== 'image/png');
			await seedSampleData(source, { articles: 120, covers: images.map((f) => f.id), attachments: [documents[0].id] });
			for (const author of await api.get('/items/authors?limit=-1&fields=id')) {
				await api.patch(`/items/authors/${author.id}`, { password_hash: 'hunter2-plaintext', api_key: CONCEALED });
			}
			await client(destination.url, destination.token).patch('/users/me', { token: SECRET });
			target = { baseURL: destination.url, token: SECRET };
			hook = await callbackReceiver();
		});
		after(async () => {
			await hook?.close();
			await pair?.stop();
			if (roots) await rm(roots.work, { recursive: true, force: true });
		});

		test('an applying schema sync saves the destination schema before it, in Migrations/Schema sync <start>', async () => {
			const res = await migrationCall(source, 'schema-sync', target, { accept: 'application/json' });
			assert.equal(res.status, 200, res.text);
			const { artifacts } = res.body;
			assert.equal(res.body.applied, true);
			assert.equal(artifacts.status, 'saved', JSON.stringify(artifacts));
			assert.equal(artifacts.storage, 'local');
			assert.match(artifacts.folder, new RegExp(`^Migrations/Schema sync ${STAMP}$`));
			const files = await folderFiles(source, artifacts.folderId);
			assert.deepEqual(Object.keys(files).sort(), artifacts.files.map((f) => f.name).sort());
			const before = one(files, 'destination_schema_before').json;
			assert.ok(!before.collections.some((c) => c.collection === 'articles'), 'the destination as it was: no articles yet');
			const sent = one(files, 'schema').json;
			assert.ok(sent.collections.some((c) => c.collection === 'articles'));
			assert.equal(one(files, 'report').json.message, res.body.message);

			const dry = await migrationCall(source, 'schema-sync', { ...target, dryRun: true }, { accept: 'application/json' });
			assert.deepEqual([dry.body.artifacts.status, dry.body.artifacts.reason], ['skipped', 'a dry run changes nothing']);
		});

		test('a run saves schema, rows, singletons, files and report in a folder of its own, named as it says', async () => {
			const res = await migrationCall(source, 'run', { ...target, scope: { excludedTables: [] }, callbackUrl: hook.url });
			assert.equal(res.status, 202, res.text);
			const callback = await hook.next();
			assert.equal(callback.status, 'completed', JSON.stringify(callback.details));
			const job = (await client(source.url, source.token).request('GET', `/migration/jobs/${callback.processId}`)).body;
			const report = job.report;
			assert.equal(report.transport, 'bulk', 'rows read in the database representation, hashes included');
			const { artifacts } = report;
			assert.equal(artifacts.status, 'saved', JSON.stringify(artifacts));
			assert.equal(callback.details.folderId, artifacts.folderId);
			assert.match(artifacts.access, /^sealed under this instance's SECRET: admins open each file with GET \/migration\/artifacts\/<id>; anyone else who may read directus_files .* gets sealed bytes and no row data$/);

			const { top, runs } = await migrationsFolders(source);
			const folder = runs.find((f) => f.id === artifacts.folderId);
			assert.equal(folder.parent, top.id);
			assert.match(folder.name, new RegExp(`^Migration ${STAMP}$`));
			assert.equal(artifacts.folder, `Migrations/${folder.name}`);

			const files = await folderFiles(source, artifacts.folderId);
			// excludedTables mode moves Directus' users too: they have an artifact of their own.
			const bases = ['schema', 'items_full_data', 'items_singleton', 'files', 'users', 'report'];
			assert.deepEqual(artifacts.files.map((f) => f.name).map((name) => bases.find((b) => named(b).test(name))), bases);
			assert.equal(Object.keys(files).length, 6);
			for (const { name, id } of artifacts.files) {
				assert.equal(files[name].id, id, name);
				assert.equal(files[name].storage, 'local');
				assertSealed(name, files[name]);
			}
			for (const { name, bytes } of artifacts.files) {
				assert.equal(bytes, Buffer.byteLength(files[name].text), `${name}: the report counts the JSON's bytes`);
			}

			const user = report.tables.filter((t) => !t.collection.startsWith('directus_'));
			const schema = one(files, 'schema').json;
			assert.deepEqual(schema.collections.map((c) => c.collection).sort(), user.map((t) => t.collection).sort(), 'the selection, as sent');
			const items = one(files, 'items_full_data').json;
			const regular = user.filter((t) => t.collection !== 'site_settings');
			assert.deepEqual(Object.keys(items), regular.map((t) => t.collection));
			for (const table of regular) assert.equal(items[table.collection].length, table.read, table.collection);
			const singletons = one(files, 'items_singleton').json;
			assert.deepEqual(Object.keys(singletons), ['site_settings']);
			assert.equal(singletons.site_settings.id, (await client(source.url, source.token).get('/items/site_settings')).id);

			const referenced = new Set();
			for (const article of items.articles) if (article.cover) referenced.add(article.cover);
			for (const link of items.articles_files) referenced.add(link.directus_files_id);
			const listed = one(files, 'files').json;
			assert.deepEqual(listed.map((f) => f.id).sort(), [...referenced].sort());
			for (const file of listed) assert.deepEqual(Object.keys(file).sort(), ['filename_download', 'filesize', 'folder', 'id', 'type']);

			const saved = one(files, 'report').json;
			assert.equal(saved.processId, callback.processId);
			assert.equal(saved.message, report.message);

			// No secret: not the token, not a hashed or concealed value, not those fields' rows.
			for (const [name, file] of Object.entries(files)) {
				for (const secret of [SECRET, SECRET.slice(10), CONCEALED, 'hunter2', '$argon2']) {
					assert.ok(!file.text.includes(secret), `${name} holds ${secret}`);
					assert.ok(!file.sealed.includes(secret), `${name} holds ${secret} sealed`);
				}
			}
			assert.ok(items.authors.every((a) => !('password_hash' in a) && !('api_key' in a) && 'name' in a));
			const users = one(files, 'users').json;
			assert.equal(users.length, report.tables.find((t) => t.collection === 'directus_users').read);
			assert.ok(users.every((u) => u.email && !('password' in u) && !('token' in u) && !('tfa_secret' in u)), 'users without secrets');
			firstRun = { artifacts, files };
		});

		test('a second run makes a second folder and touches the first in no way', async () => {
			const res = await migrationCall(source, 'dry-run', { ...target, scope: { transport: 'rest', selectedTables: ['tags'] } }, ndjson);
			const report = summaryOf(res);
			assert.equal(report.status, 'completed');
			assert.equal(report.artifacts.status, 'saved');
			assert.notEqual(report.artifacts.folderId, firstRun.artifacts.folderId);
			assert.match(report.artifacts.folder, new RegExp(`^Migrations/Migration ${STAMP} \\(dry run\\)$`));
			const second = await folderFiles(source, report.artifacts.folderId);
			assert.equal(one(second, 'items_full_data').json.tags.length, report.table('tags').read);
			const { runs } = await migrationsFolders(source);
			assert.equal(runs.filter((f) => f.name.startsWith('Migration ')).length, 2, 'one top folder, two runs');

			const first = await folderFiles(source, firstRun.artifacts.folderId);
			assert.deepEqual(Object.keys(first).sort(), Object.keys(firstRun.files).sort());
			for (const [name, file] of Object.entries(first)) {
				assert.equal(file.id, firstRun.files[name].id);
				assert.equal(file.text, firstRun.files[name].text, name);
				assert.ok(file.sealed.equals(firstRun.files[name].sealed), name);
				assert.equal(await sha256(source, file.id), await sha256(source, firstRun.files[name].id));
			}
		});

		test('scope.artifacts: false saves none, and the report says so', async () => {
			const folders = (await migrationsFolders(source)).runs.length;
			const res = await migrationCall(source, 'dry-run', { ...target, scope: { selectedTables: ['tags'], artifacts: false } }, ndjson);
			const report = summaryOf(res);
			assert.deepEqual(report.artifacts, { status: 'skipped', storage: null, folderId: null, folder: null, files: [], missing: [], reason: 'scope.artifacts is false', access: null });
			assert.ok(res.lines.some((l) => JSON.parse(l).message === 'Artifacts: none saved (scope.artifacts is false)'));
			assert.equal((await migrationsFolders(source)).runs.length, folders);
		});

		test('MIGRATION_STORAGE_LOCATION=archive: the files go to the archive location', async () => {
			await source.restart({ signal: 'SIGTERM', env: { MIGRATION_STORAGE_LOCATION: 'archive' } });
			const res = await migrationCall(source, 'dry-run', { ...target, scope: { selectedTables: ['tags', 'languages'] } }, ndjson);
			const report = summaryOf(res);
			assert.equal(report.artifacts.status, 'saved', JSON.stringify(report.artifacts));
			assert.equal(report.artifacts.storage, 'archive');
			const files = await folderFiles(source, report.artifacts.folderId);
			assert.equal(Object.keys(files).length, 5);
			for (const file of Object.values(files)) {
				assert.equal(file.storage, 'archive');
				assert.ok(existsSync(join(roots.archive, file.filename_disk)), `${file.filename_disk} in the archive root`);
				assert.ok(!existsSync(join(source.uploadsDir, file.filename_disk)), 'not in local');
			}
		});

		test('an unknown MIGRATION_STORAGE_LOCATION is refused before the run starts', async () => {
			await source.restart({ signal: 'SIGTERM', env: { MIGRATION_STORAGE_LOCATION: 's3-backup' } });
			const folders = (await migrationsFolders(source)).runs.length;
			for (const route of ['run', 'dry-run']) {
				const res = await migrationCall(source, route, { ...target, scope: { selectedTables: ['tags'] } }, ndjson);
				assert.equal(res.status, 400, res.text);
				assert.equal(res.body.code, 'INVALID_STORAGE_LOCATION');
				assert.match(res.body.message, /^MIGRATION_STORAGE_LOCATION is "s3-backup", which is not a storage location of this instance \(STORAGE_LOCATIONS: local, archive, broken\)/);
			}
			const sync = await migrationCall(source, 'schema-sync', target, { accept: 'application/json' });
			assert.equal(sync.body.code, 'INVALID_STORAGE_LOCATION');
			assert.equal((await migrationsFolders(source)).runs.length, folders, 'no folder made');
			const without = await migrationCall(source, 'dry-run', { ...target, scope: { selectedTables: ['tags'], artifacts: false } }, ndjson);
			assert.equal(summaryOf(without).status, 'completed', 'nothing to refuse without artifacts');
		});

		test('a storage that refuses writes leaves the run completed, with the artifacts reported missing and why', async () => {
			await source.restart({ signal: 'SIGTERM', env: { MIGRATION_STORAGE_LOCATION: 'broken' } });
			await client(source.url, source.token).post('/items/tags', { name: 'added after the first run' });
			const res = await migrationCall(source, 'run', { ...target, scope: { selectedTables: ['tags'] } }, ndjson);
			const report = summaryOf(res);
			assert.equal(report.status, 'completed', report.message);
			assert.equal(report.table('tags').created, 1, 'the migration itself went through');
			const { artifacts } = report;
			assert.equal(artifacts.status, 'failed');
			assert.equal(artifacts.storage, 'broken');
			assert.deepEqual(artifacts.files, []);
			assert.deepEqual(artifacts.missing.map((name) => name.replace(new RegExp(`_${STAMP}\\.json$`), '')), ['schema', 'items_full_data', 'items_singleton', 'files', 'report']);
			// The storage's own message (its root is a file): not Directus' "Couldn't save file".
			assert.match(artifacts.reason, /^storage "broken": E(EXIST|NOTDIR): .*broken/);
			assert.ok(report.warnings.some((w) => w.startsWith('artifacts missing in the source\'s file library')), report.warnings.join('\n'));
			assert.ok(res.lines.some((l) => JSON.parse(l).message?.startsWith('Artifacts missing: schema_')));
			const left = await client(source.url, source.token).get(`/files?limit=-1&filter[folder][_eq]=${artifacts.folderId}`);
			assert.deepEqual(left, [], 'no file row for bytes the storage did not take');
		});

		test('GET /migration/artifacts/:id opens artifacts only: others are 404, a bad id 400, an altered or cut file 422', async () => {
			const api = client(source.url, source.token);
			const refusal = async (id, status, code) => {
				const res = await api.request('GET', `/migration/artifacts/${id}`);
				assert.equal(res.status, status, res.text);
				assert.equal(res.body.code, code, res.text);
				return res.body.message;
			};
			assert.match(await refusal('not-a-uuid', 400, 'INVALID_PAYLOAD'), /^fileId must be the id \(a UUID\)/);
			assert.match(await refusal('00000000-0000-4000-8000-000000000000', 404, 'ARTIFACT_NOT_FOUND'), /^no file 00000000-/);
			const [image] = await api.get('/files?limit=1&filter[type][_eq]=image/png&fields=id');
			assert.match(await refusal(image.id, 404, 'ARTIFACT_NOT_FOUND'), /is not a migration artifact: it is not in a run's folder in Migrations$/);
			// A plain JSON file put in a run's folder is not one of its sealed artifacts.
			const form = new FormData();
			form.append('folder', firstRun.artifacts.folderId);
			form.append('file', new Blob(['{"articles":[]}'], { type: 'application/json' }), 'items_full_data_2026-01-01T00-00-00-000Z.json');
			const upload = await fetch(`${source.url}/files`, { method: 'POST', headers: { Authorization: `Bearer ${source.token}` }, body: form });
			assert.equal(upload.status, 200, await upload.clone().text());
			const planted = (await upload.json()).data.id;
			assert.match(await refusal(planted, 404, 'ARTIFACT_NOT_FOUND'), /is not a migration artifact: the file is not a sealed artifact/);

			const file = one(firstRun.files, 'items_full_data');
			const path = join(source.uploadsDir, file.filename_disk);
			const original = await readFile(path);
			try {
				for (const [what, bytes] of [
					['a byte changed', Buffer.concat([original.subarray(0, 100), Buffer.from([original[100] ^ 1]), original.subarray(101)])],
					['cut short', original.subarray(0, original.length - 1)],
					['cut at a record boundary', original.subarray(0, original.length > 48 + 65552 ? 48 + 65552 : 48)],
				]) {
					await writeFile(path, bytes);
					assert.match(await refusal(file.id, 422, 'ARTIFACT_TAMPERED'), /^the artifact fails authentication at record \d+ \(.*\): it was altered or truncated/, what);
				}
			} finally {
				await writeFile(path, original);
			}
			const again = await download(source, `/migration/artifacts/${file.id}`);
			assert.equal(again.bytes.toString('utf8'), file.text, 'restored, it opens again');
		});

		test('after SECRET changes, earlier artifacts are refused as sealed under another; without SECRET no run with artifacts starts', async () => {
			await source.restart({ signal: 'SIGTERM', env: { SECRET: 'a-new-secret-after-a-rotation-5c2a', MIGRATION_STORAGE_LOCATION: undefined } });
			const api = client(source.url, source.token);
			const old = one(firstRun.files, 'schema');
			const res = await api.request('GET', `/migration/artifacts/${old.id}`);
			assert.equal(res.status, 409, res.text);
			assert.equal(res.body.code, 'ARTIFACT_WRONG_KEY');
			assert.match(res.body.message, /sealed under another SECRET/);
			const fresh = summaryOf(await migrationCall(source, 'dry-run', { ...target, scope: { selectedTables: ['tags'] } }, ndjson));
			assert.equal(fresh.artifacts.status, 'saved', JSON.stringify(fresh.artifacts));
			assert.equal(Object.keys(await folderFiles(source, fresh.artifacts.folderId)).length, 5, 'new ones open under the new SECRET');

			await source.restart({ signal: 'SIGTERM', env: { SECRET: undefined } });
			const folders = (await migrationsFolders(source)).runs.length;
			for (const [route, accept] of [['run', ndjson.accept], ['dry-run', ndjson.accept], ['schema-sync', 'application/json']]) {
				const refused = await migrationCall(source, route, { ...target, scope: { selectedTables: ['tags'] } }, { accept });
				assert.equal(refused.status, 400, refused.text);
				assert.equal(refused.body.code, 'SECRET_NOT_SET', route);
				assert.match(refused.body.message, /^SECRET is not set on this instance: the migration artifacts are sealed with a key derived from it.*or send scope\.artifacts: false$/);
			}
			assert.equal((await migrationsFolders(source)).runs.length, folders, 'no folder made');
			const opened = await api.request('GET', `/migration/artifacts/${old.id}`);
			assert.deepEqual([opened.status, opened.body.code], [400, 'SECRET_NOT_SET']);
			const without = await migrationCall(source, 'dry-run', { ...target, scope: { selectedTables: ['tags'], artifacts: false } }, ndjson);
			assert.equal(summaryOf(without).status, 'completed', 'nothing to refuse without artifacts');
		});
	});
}
