// Files on real instances: every file a migrated row references — through a single-file field or
// an M2M files field — arrives with the same id, metadata and bytes, in the same folders; files
// nothing references stay behind; re-runs and dry runs move nothing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { client } from '../../scripts/lib/api.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { seedSampleFiles } from '../../scripts/lib/sample-files.mjs';
import { MATRIX, migrationCall, queryDatabase, sha256, startSamplePair, summaryOf } from './support.mjs';
import { SAMPLE_COLLECTION_NAMES } from '../../scripts/lib/sample-schema.mjs';

// Every sample table by name: user rows and the files they reference (excludedTables mode also
// moves Directus' own collections and every file: tests/e2e/system.test.mjs).
const EVERY_SAMPLE_TABLE = SAMPLE_COLLECTION_NAMES;

/** What Directus decides for its own storage, or stamps on every write. */
const LOCAL = ['storage', 'filename_disk', 'modified_on', 'modified_by'];

async function fileRow(instance, id) {
	const res = await client(instance.url, instance.token).request('GET', `/files/${id}`);
	if (res.status === 403 || res.status === 404) return null;
	const row = res.body.data;
	for (const field of LOCAL) delete row[field];
	return row;
}

for (const { db, version, label } of MATRIX) for (const transport of ['rest', 'bulk']) {
	describe(`files on ${label} over ${transport}`, () => {
		let pair, source, destination, target, files, referenced, unreferenced, attachments;
		const ndjson = { accept: 'application/x-ndjson' };

		before(async () => {
			({ pair, source, destination, target } = await startSamplePair(version, db));
			({ files } = await seedSampleFiles(source, { images: 4, documents: 3, largeMegabytes: [50] }));
			const images = files.filter((f) => f.type === 'image/png');
			const documents = files.filter((f) => f.type !== 'image/png' && !f.filename_download.startsWith('archive'));
			const archive = files.find((f) => f.filename_download.startsWith('archive'));
			const covers = [images[0].id, images[1].id, archive.id];
			attachments = [documents[0].id, documents[1].id];
			await seedSampleData(source, { articles: 30, covers, attachments });
			await client(source.url, source.token).patch(`/files/${images[0].id}`, {
				description: 'Focal point and tags set by hand',
				tags: ['cover', 'ünïcödé'],
				focal_point_x: 12,
				focal_point_y: 7,
			});
			referenced = [...covers, ...attachments];
			unreferenced = files.map((f) => f.id).filter((id) => !referenced.includes(id));
			const sync = await migrationCall(source, 'schema-sync', target);
			assert.match(sync.lines.at(-1), /^Applied: /);
		});
		after(() => pair?.stop());

		test('dry-run reports the files and bytes that would move, and moves none', async () => {
			const res = await migrationCall(source, 'dry-run', { ...target, scope: { transport, selectedTables: EVERY_SAMPLE_TABLE } }, ndjson);
			const { files: summary } = summaryOf(res);
			const sizes = await Promise.all(referenced.map(async (id) => (await fileRow(source, id)).filesize));
			assert.equal(summary.migrated, referenced.length);
			assert.equal(summary.bytes, sizes.reduce((a, b) => a + Number(b), 0));
			assert.ok(summary.bytes > 50 * 1024 * 1024);
			assert.equal((await client(destination.url, destination.token).get('/files?limit=-1')).length, 0);
			assert.equal((await client(destination.url, destination.token).get('/folders?limit=-1')).length, 0);
		});

		test('run brings every referenced file with its id, metadata, folder and identical bytes', async () => {
			const res = await migrationCall(source, 'run', { ...target, scope: { transport, selectedTables: EVERY_SAMPLE_TABLE } }, ndjson);
			const summary = summaryOf(res);
			assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
			assert.equal(summary.files.migrated, referenced.length);
			assert.equal(summary.files.failed, 0);
			for (const id of referenced) {
				const [ours, theirs] = await Promise.all([fileRow(source, id), fileRow(destination, id)]);
				assert.deepEqual(theirs, ours, `file ${ours.filename_download}`);
				assert.equal(await sha256(destination, id), await sha256(source, id), `bytes of ${ours.filename_download}`);
			}
			for (const id of unreferenced) assert.equal(await fileRow(destination, id), null, 'an unreferenced file stays behind');

			const folders = async (instance) => (await client(instance.url, instance.token).get('/folders?limit=-1&sort=name')).map(({ id, name, parent }) => ({ id, name, parent }));
			const used = new Set((await Promise.all(referenced.map((id) => fileRow(source, id)))).map((f) => f.folder));
			const theirFolders = await folders(destination);
			for (const folder of (await folders(source)).filter((f) => used.has(f.id))) {
				assert.ok(theirFolders.some((f) => f.id === folder.id && f.name === folder.name && f.parent === folder.parent), folder.name);
			}
			const articles = await client(destination.url, destination.token).get('/items/articles?limit=-1&fields=id,cover,attachments&sort=id');
			const sourceArticles = await client(source.url, source.token).get('/items/articles?limit=-1&fields=id,cover,attachments&sort=id');
			assert.deepEqual(articles, sourceArticles, 'rows point at the same files');
		});

		test('a second run moves no file', async () => {
			const res = await migrationCall(source, 'run', { ...target, scope: { transport, selectedTables: EVERY_SAMPLE_TABLE } }, ndjson);
			const { files: summary, status } = summaryOf(res);
			assert.equal(status, 'completed');
			assert.equal(summary.migrated, 0);
			assert.equal(summary.bytes, 0);
			assert.equal((await client(destination.url, destination.token).get('/files?limit=-1')).length, referenced.length);
		});

		test('a file row an interrupted upload left empty (size 0, no filename_disk) gets its bytes on the next run', async () => {
			// As a destination crash mid-upload leaves it: Directus created the row, the bytes never
			// arrived, and the rows that reference the file were never written.
			const id = attachments[0];
			const dest = client(destination.url, destination.token);
			const links = `/items/articles_files?limit=-1&fields=id,articles_id&sort=id&filter[directus_files_id][_eq]=${id}`;
			const theirLinks = await dest.get(links);
			assert.ok(theirLinks.length > 0, 'the file is an attachment');
			await dest.delete('/items/articles_files', theirLinks.map((l) => l.id));
			await queryDatabase(destination, (knex) => knex('directus_files').where({ id }).update({ filesize: 0, filename_disk: null }));
			assert.equal(Number((await fileRow(destination, id)).filesize), 0, 'PostgreSQL answers a bigInteger as text');

			const res = await migrationCall(source, 'run', { ...target, scope: { transport, selectedTables: EVERY_SAMPLE_TABLE } }, ndjson);
			const summary = summaryOf(res);
			assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
			assert.equal(summary.files.repaired, 1, JSON.stringify(summary.files));
			assert.equal(summary.files.migrated, 1);
			assert.ok(summary.warnings.some((w) => w.startsWith(`file ${id}: the destination had an empty row for it`)), JSON.stringify(summary.warnings));
			assert.deepEqual(await fileRow(destination, id), await fileRow(source, id));
			assert.equal(await sha256(destination, id), await sha256(source, id), 'the bytes arrived');
			assert.equal((await dest.get('/files?limit=-1')).length, referenced.length, 'into the same row, no second file');
			const sourceLinks = await client(source.url, source.token).get(links);
			assert.deepEqual((await dest.get(links)).map((l) => l.articles_id), sourceLinks.map((l) => l.articles_id), 'the rows that reference it arrived');
		});
	});
}
