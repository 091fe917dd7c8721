// Real-world sources: the starter-template databases in ../shared/fixtures (CI has them). Each is
// migrated to a fresh instance of its own Directus version.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDirectus, VERSIONS, FIXTURES } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { fullSnapshot, migrationCall, sha256 } from './support.mjs';

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

		test('run (bulk, since the destination has the extension) moves every row and every referenced file; a second run moves nothing', async () => {
			const target = { baseURL: destination.url, token: destination.token };
			const run = await migrationCall(source, 'run', { ...target, scope: { excludedTables: [] } }, { accept: 'application/x-ndjson' });
			const report = JSON.parse(run.lines.at(-1));
			assert.equal(report.status, 'completed', JSON.stringify(report.failures ?? report.error));
			assert.equal(report.transport, 'bulk');
			const tables = (await migrationCall(source, 'tables', target)).body;
			for (const table of tables) {
				const moved = report.tables.find((t) => t.collection === table.collection);
				assert.equal(moved.created, table.count, table.collection);
				const there = await client(destination.url, destination.token).get(`/items/${table.collection}?aggregate[count]=*`);
				assert.equal(Number((Array.isArray(there) ? there[0] : there).count), table.count, table.collection);
			}
			// The files the rows reference came along, byte for byte; the others stayed behind.
			assert.equal(report.files.failed, 0);
			assert.ok(report.files.migrated > 0);
			const theirFiles = await client(destination.url, destination.token).get('/files?limit=-1&fields=id,filesize');
			assert.equal(theirFiles.length, report.files.migrated);
			const ourFiles = await client(source.url, source.token).get('/files?limit=-1&fields=id');
			assert.ok(ourFiles.length > theirFiles.length, 'the fixture has files nothing references');
			for (const file of theirFiles) assert.equal(await sha256(destination, file.id), await sha256(source, file.id));

			const again = JSON.parse((await migrationCall(source, 'run', { ...target, scope: { excludedTables: [] } }, { accept: 'application/x-ndjson' })).lines.at(-1));
			assert.equal(again.status, 'completed');
			assert.ok(again.tables.every((t) => t.created === 0 && t.skipped === t.read));
			assert.equal(again.files.migrated, 0);
		});
	});
}
