// Real-world sources: the starter-template databases in ../shared/fixtures (CI has them). Each is
// migrated to a fresh instance of its own Directus version.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDirectus, VERSIONS, FIXTURES } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { artifactFolders, fullSnapshot, migrationCall, sha256 } from './support.mjs';

const fixtures = existsSync(FIXTURES)
	? readdirSync(FIXTURES, { withFileTypes: true })
			.filter((entry) => entry.isDirectory() && existsSync(join(FIXTURES, entry.name, 'data.db')))
			.map((entry) => ({ name: entry.name, version: entry.name.match(/(\d+\.\d+\.\d+)$/)?.[1] }))
			.filter((fixture) => VERSIONS.includes(fixture.version))
	: [];

if (fixtures.length === 0) {
	test('real-world fixtures', { skip: `no fixtures for Directus ${VERSIONS.join(', ')} in ${FIXTURES}` }, () => {});
}

for (const fixture of fixtures) {
	describe(`fixture ${fixture.name}`, () => {
		let source, destination;

		before(async () => {
			[source, destination] = await Promise.all([
				startDirectus({
					version: fixture.version,
					name: 'fixture-source',
					database: join(FIXTURES, fixture.name, 'data.db'),
					uploads: join(FIXTURES, fixture.name, 'uploads'),
					token: 'tpl-admin-token',
				}),
				startDirectus({ version: fixture.version, name: 'fixture-destination' }),
			]);
		});
		after(() => Promise.all([source?.stop(), destination?.stop()]));

		test('schema-sync makes the destination schema equal to the source, then reports in sync', async () => {
			const target = { baseURL: destination.url, token: destination.token };
			const check = await migrationCall(source, 'check', target);
			assert.equal(check.status, 200, check.text);
			const sync = await migrationCall(source, 'schema-sync', target);
			assert.equal(sync.status, 200);
			assert.match(sync.lines.at(-1), /^Applied: /, sync.text);
			const [ours, theirs] = await Promise.all([fullSnapshot(source), fullSnapshot(destination)]);
			assert.deepEqual(theirs.collections, ours.collections);
			assert.deepEqual(theirs.fields, ours.fields);
			assert.deepEqual(theirs.relations, ours.relations);
			const again = await migrationCall(source, 'schema-sync', target);
			assert.equal(again.lines.at(-1), 'Schemas are in sync');
			const tables = await migrationCall(source, 'tables', target);
			const counted = await Promise.all(
				tables.body.filter((t) => !t.singleton).slice(0, 5).map(async (t) => [t.count, (await client(source.url, source.token).get(`/items/${t.collection}?aggregate[count]=*`))[0].count]),
			);
			for (const [listed, actual] of counted) assert.equal(listed, Number(actual));
		});

		test('run (bulk, since the destination has the extension) moves every row, the project around them and every file; a second run moves nothing', async (t) => {
			const target = { baseURL: destination.url, token: destination.token };
			const run = await migrationCall(source, 'run', { ...target, scope: { excludedTables: [] } }, { accept: 'application/x-ndjson' });
			const report = JSON.parse(run.lines.at(-1));
			assert.equal(report.transport, 'bulk');
			// Directus 12 without a licence refuses what its tiers do not include (custom permission
			// rules, seats, flows beyond five): each refused row is reported with its message, and
			// nothing else fails.
			const licence = (f) => /RESOURCE_RESTRICTED|LIMIT_EXCEEDED/.test(f.message);
			t.diagnostic(`${report.message}; refused by the licence: ${report.failures.filter(licence).map((f) => `${f.collection} ${f.key}`).join(', ') || 'none'}; mappings: ${report.mappings.map((m) => `${m.collection} (${m.reason})`).join(', ') || 'none'}`);
			const others = report.failures.filter((f) => !licence(f));
			assert.deepEqual(others, [], JSON.stringify(report.error));
			assert.equal(report.status, report.failureCount === 0 ? 'completed' : 'completed with errors');
			if (Number(fixture.version.split('.')[0]) < 12) assert.equal(report.status, 'completed', JSON.stringify(report.failures));
			const tables = (await migrationCall(source, 'tables', target)).body;
			for (const table of tables) {
				const moved = report.tables.find((t) => t.collection === table.collection);
				assert.equal(moved.created, table.count, table.collection);
				const there = await client(destination.url, destination.token).get(`/items/${table.collection}?aggregate[count]=*`);
				assert.equal(Number((Array.isArray(there) ? there[0] : there).count), table.count, table.collection);
			}
			// Directus' own collections came along: users (by id, or onto the destination's user
			// with the same address), roles, policies, flows and their operations.
			const mapped = new Set(report.mappings.map((m) => `${m.collection}:${m.source}`));
			for (const [path, collection] of [['/users', 'directus_users'], ['/roles', 'directus_roles'], ['/policies', 'directus_policies'], ['/flows', 'directus_flows'], ['/operations', 'directus_operations']]) {
				const [ours, theirs] = await Promise.all([source, destination].map((i) => client(i.url, i.token).get(`${path}?fields=id&limit=-1`)));
				const there = new Set(theirs.map((r) => r.id));
				const refused = new Set(report.failures.filter((f) => f.collection === collection).map((f) => f.key));
				const missing = ours.filter((r) => !there.has(r.id) && !mapped.has(`${collection}:${r.id}`) && !refused.has(r.id));
				assert.deepEqual(missing, [], collection);
			}
			// Every file, referenced by a row or not, byte for byte; but the source's records of its
			// own runs (the "Migrations" folder tree), which stay where they are.
			assert.equal(report.files.failed, 0);
			const runRecords = artifactFolders(await client(source.url, source.token).get('/folders?limit=-1&fields=id,name,parent'));
			const ourFiles = (await client(source.url, source.token).get('/files?limit=-1&fields=id,folder')).filter((f) => !runRecords.has(f.folder));
			const theirFiles = await client(destination.url, destination.token).get('/files?limit=-1&fields=id,filesize');
			assert.deepEqual(theirFiles.map((f) => f.id).sort(), ourFiles.map((f) => f.id).sort());
			assert.equal(report.files.migrated, ourFiles.length);
			for (const file of theirFiles) assert.equal(await sha256(destination, file.id), await sha256(source, file.id));

			const again = JSON.parse((await migrationCall(source, 'run', { ...target, scope: { excludedTables: [] } }, { accept: 'application/x-ndjson' })).lines.at(-1));
			assert.equal(again.failureCount, report.failureCount);
			assert.ok(again.tables.every((t) => t.created === 0 && t.skipped + t.mapped + t.failed === t.read), JSON.stringify(again.tables.filter((t) => t.created !== 0)));
			assert.equal(again.files.migrated, 0);
		});
	});
}
