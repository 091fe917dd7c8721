// Schema endpoints on real instances: /check, /tables, /schema-sync, on every pinned version.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDirectus, freePort } from '../../scripts/lib/directus.mjs';
import { VENDOR_NAMES } from '../../scripts/lib/databases.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { createEditor } from '../../scripts/lib/instance-setup.mjs';
import { createSampleSchema, SAMPLE_COLLECTION_NAMES } from '../../scripts/lib/sample-schema.mjs';
import { MATRIX, schemaOf, fullSnapshot, migrationCall } from './support.mjs';

const OTHER = { '11.17.4': '12.4.0', '12.4.0': '11.17.4' };

for (const { db, version, label } of MATRIX) {
	describe(`schema endpoints on ${label}`, () => {
		let source, destination, other, editor, destinationEditor;
		let target; // { baseURL, token } of the destination

		before(async () => {
			[source, destination, other] = await Promise.all([
				startDirectus({ version, db, name: 'source' }),
				startDirectus({ version, db, name: 'destination' }),
				startDirectus({ version: OTHER[version] ?? version, db, name: 'other', extension: false }),
			]);
			target = { baseURL: destination.url, token: destination.token };
			await createSampleSchema(source);
			editor = await createEditor(source);
			destinationEditor = await createEditor(destination, { token: 'destination-editor-token' });
			const dest = client(destination.url, destination.token);
			await dest.post('/collections', {
				collection: 'legacy_notes',
				meta: { icon: 'note' },
				schema: {},
				fields: [
					{ field: 'id', type: 'integer', schema: { is_primary_key: true, has_auto_increment: true }, meta: { hidden: true } },
					{ field: 'note', type: 'text', meta: {}, schema: {} },
				],
			});
			await dest.post('/items/legacy_notes', [{ note: 'kept 1' }, { note: 'kept 2' }, { note: 'kept 3' }]);
		});
		after(() => Promise.all([source?.stop(), destination?.stop(), other?.stop()]));

		test('check: 200 for a compatible destination', async () => {
			const res = await migrationCall(source, 'check', { ...target, scope: { force: false } });
			assert.equal(res.status, 200);
			assert.deepEqual(
				{ status: res.body.status, icon: res.body.icon, message: res.body.message },
				{ status: 'success', icon: 'check', message: 'This instance is compatible for migration.' },
			);
			assert.deepEqual(res.body.destination, { version, vendor: VENDOR_NAMES[db] });
		});

		test('check: 409 for another Directus version, 200 warning when forced', async () => {
			const mismatch = { baseURL: other.url, token: other.token };
			const refused = await migrationCall(source, 'check', mismatch);
			assert.equal(refused.status, 409);
			assert.equal(refused.body.status, 'danger');
			assert.equal(refused.body.icon, 'error');
			assert.match(refused.body.message, new RegExp(`Directus versions differ: source ${version}, destination ${other.version}`));
			const forced = await migrationCall(source, 'check', { ...mismatch, scope: { force: true } });
			assert.equal(forced.status, 200);
			assert.equal(forced.body.status, 'warning');
			assert.equal(forced.body.icon, 'warning');
			assert.match(forced.body.message, /Directus versions differ/);
		});

		test('check: says which thing is wrong, never with 200', async () => {
			const closedPort = await freePort();
			const cases = [
				[{ ...target, token: 'not-a-token' }, 400, /destination token is not valid/],
				[{ ...target, token: destinationEditor.token }, 400, /does not belong to an admin/],
				[{ ...target, baseURL: 'not a url' }, 400, /must start with http/],
				[{ ...target, baseURL: `http://127.0.0.1:${closedPort}` }, 502, /unreachable: .*ECONNREFUSED/],
				[{ baseURL: destination.url }, 400, /token is required/],
				[{ token: destination.token }, 400, /baseURL is required/],
				[{ ...target, scope: { force: 'yes' } }, 400, /scope\.force: invalid type/],
			];
			for (const [body, status, message] of cases) {
				const res = await migrationCall(source, 'check', body);
				assert.equal(res.status, status, JSON.stringify(body));
				assert.equal(res.body.status, 'danger');
				assert.equal(res.body.icon, 'error');
				assert.match(res.body.message, message);
				// The one error shape: Directus' own errors list beside the contract's fields.
				assert.deepEqual(res.body.errors?.map((e) => [e.message, e.extensions.code]), [[res.body.message, res.body.code]]);
				assert.ok(!res.text.includes(destination.token), 'the token is never echoed');
			}
		});

		test('non-admin callers get 403 on every schema route', async () => {
			for (const route of ['check', 'tables', 'schema-sync']) {
				const res = await migrationCall(source, route, target, { token: editor.token });
				assert.equal(res.status, 403, route);
				assert.equal(res.body.errors[0].extensions.code, 'FORBIDDEN');
			}
		});

		test('tables: the user collections, sorted, with exact counts', async () => {
			const api = client(source.url, source.token);
			await api.post('/items/languages', [{ code: 'en', name: 'English' }, { code: 'de', name: 'Deutsch' }, { code: 'fr', name: 'Français' }]);
			await api.post('/items/tags', Array.from({ length: 7 }, (_, i) => ({ name: `tag-${i}` })));
			const res = await migrationCall(source, 'tables', target);
			assert.equal(res.status, 200);
			assert.deepEqual(res.body.map((t) => t.collection), [...SAMPLE_COLLECTION_NAMES].sort());
			const byName = Object.fromEntries(res.body.map((t) => [t.collection, t]));
			assert.equal(byName.languages.count, 3);
			assert.equal(byName.tags.itemCount, 7);
			assert.equal(byName.articles.count, 0);
			assert.deepEqual(
				{ type: byName.site_settings.type, singleton: byName.site_settings.singleton, selected: byName.site_settings.selected },
				{ type: 'singleton', singleton: true, selected: false },
			);
			assert.equal(byName.articles.type, 'table');
			assert.equal(byName.articles.icon, 'article');
			assert.equal(byName.articles_translations.name, 'Articles Translations');
			assert.equal(byName.articles.schema.name, 'articles');
		});

		test('schema-sync dry run streams the plan and changes nothing', async () => {
			const before = await fullSnapshot(destination);
			const res = await migrationCall(source, 'schema-sync', { ...target, dryRun: true });
			assert.equal(res.status, 200);
			assert.match(res.headers.get('content-type'), /^text\/plain/);
			assert.match(res.lines[0], /dry run, nothing is written/);
			assert.ok(res.lines.includes('articles: create collection, create 23 fields, create 3 relations'), res.text);
			assert.match(res.lines.at(-1), /^Dry run: 9 collection\(s\), .* nothing was applied$/);
			assert.deepEqual(await fullSnapshot(destination), before);
		});

		test('schema-sync refuses unknown collections before streaming', async () => {
			const res = await migrationCall(source, 'schema-sync', { ...target, scope: { selectedTables: ['articles', 'no_such_table'] } });
			assert.equal(res.status, 400);
			assert.equal(res.body.status, 'danger');
			assert.match(res.body.message, /no_such_table/);
		});

		test('schema-sync of a selection brings only it and what it needs', async () => {
			const res = await migrationCall(source, 'schema-sync', { ...target, scope: { selectedTables: ['site_settings'] } });
			assert.equal(res.status, 200, res.text);
			assert.match(res.lines.at(-1), /^Applied: /);
			const names = (await client(destination.url, destination.token).get('/collections?limit=-1')).map((c) => c.collection);
			assert.ok(names.includes('site_settings') && names.includes('languages'), 'the singleton and its M2O target');
			assert.ok(!names.includes('articles'), 'nothing else');
			assert.deepEqual(await schemaOf(destination, ['site_settings', 'languages']), await schemaOf(source, ['site_settings', 'languages']));
		});

		test('schema-sync brings the whole schema, keeps what only the destination has, then reports in sync', async () => {
			const res = await migrationCall(source, 'schema-sync', { ...target, dryRun: false, scope: { force: false } });
			assert.equal(res.status, 200, res.text);
			assert.match(res.lines.at(-1), /^Applied: /);
			assert.ok(res.lines.some((l) => l.startsWith('Kept on the destination') && l.includes('collection legacy_notes')), res.text);
			assert.deepEqual(await schemaOf(destination, SAMPLE_COLLECTION_NAMES), await schemaOf(source, SAMPLE_COLLECTION_NAMES));
			const notes = await client(destination.url, destination.token).get('/items/legacy_notes?sort=id');
			assert.deepEqual(notes.map((n) => n.note), ['kept 1', 'kept 2', 'kept 3']);

			const again = await migrationCall(source, 'schema-sync', target, { accept: 'application/x-ndjson' });
			assert.match(again.headers.get('content-type'), /^application\/x-ndjson/);
			const events = again.lines.map((l) => JSON.parse(l));
			const summary = events.at(-1);
			assert.equal(summary.type, 'summary');
			assert.equal(summary.message, 'Schemas are in sync');
			assert.equal(summary.inSync, true);
			assert.equal(summary.applied, false);
		});

		test('a destination-only field survives a normal sync and goes only with mirror, inside the selection', async () => {
			const dest = client(destination.url, destination.token);
			await dest.post('/fields/articles', { field: 'dest_note', type: 'string', meta: {}, schema: {} });
			const kept = await migrationCall(source, 'schema-sync', target);
			assert.ok(kept.lines.some((l) => l.includes('field articles.dest_note')), kept.text);
			assert.equal(kept.lines.at(-1), 'Schemas are in sync');
			assert.ok((await dest.get('/fields/articles')).some((f) => f.field === 'dest_note'));

			const mirrored = await migrationCall(source, 'schema-sync', { ...target, scope: { selectedTables: ['languages', 'articles'], mirror: true } });
			assert.equal(mirrored.status, 200, mirrored.text);
			assert.match(mirrored.lines[0], /MIRROR/);
			assert.ok(mirrored.lines.includes('articles: DELETE 1 field'), mirrored.text);
			assert.match(mirrored.lines.at(-1), /MIRROR: 1 DELETION/);
			assert.ok(!(await dest.get('/fields/articles')).some((f) => f.field === 'dest_note'));
			assert.equal((await dest.get('/items/legacy_notes')).length, 3, 'a collection outside the selection is never deleted');
			assert.deepEqual(await schemaOf(destination, SAMPLE_COLLECTION_NAMES), await schemaOf(source, SAMPLE_COLLECTION_NAMES));
		});

		test('an existing column that differs is left alone, named by the run guard, and changed only with alterColumns', async () => {
			const dest = client(destination.url, destination.token);
			const length = async (instance) => (await client(instance.url, instance.token).get('/fields/tags/name')).schema.max_length;
			const original = await length(source);
			await dest.patch('/fields/tags/name', { schema: { max_length: 80 }, meta: { note: 'destination note' } });
			assert.equal(await length(destination), 80);

			const guard = await migrationCall(source, 'run', { ...target, scope: { selectedTables: ['tags'] } });
			assert.equal(guard.status, 409);
			assert.match(guard.body.message, /Existing columns differ, which schema-sync changes only with scope\.alterColumns: true: tags\.name \(max_length\)/);
			assert.ok(guard.body.differences.includes('tags.name (max_length): the existing column differs'), JSON.stringify(guard.body));

			const safe = await migrationCall(source, 'schema-sync', { ...target, scope: { selectedTables: ['tags'] } }, { accept: 'application/x-ndjson' });
			const summary = JSON.parse(safe.lines.at(-1));
			assert.equal(summary.inSync, false);
			assert.ok(safe.lines.some((l) => JSON.parse(l).message.includes('left as they are (scope.alterColumns: true changes them): tags.name (max_length)')), safe.text);
			assert.equal(await length(destination), 80, 'the column is not changed without alterColumns');
			assert.equal((await dest.get('/fields/tags/name')).meta.note, null, 'metadata is brought in line');

			const altered = await migrationCall(source, 'schema-sync', { ...target, scope: { selectedTables: ['tags'], alterColumns: true } }, { accept: 'application/x-ndjson' });
			assert.equal(JSON.parse(altered.lines.at(-1)).inSync, true, altered.text);
			assert.equal(await length(destination), original);
			const run = await migrationCall(source, 'dry-run', { ...target, scope: { selectedTables: ['tags'] } });
			assert.equal(run.status, 200, run.text.slice(0, 500));
		});
	});
}
