// The verification pass on real instances, over both transports: identical after a run (with
// scope.verify and on its own), read-only, and naming what was changed on the destination
// afterwards — a row changed, a row deleted, a row of its own, a file's bytes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { VERSIONS } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { seedSampleFiles } from '../../scripts/lib/sample-files.mjs';
import { migrationCall, startSamplePair, summaryOf } from './support.mjs';
import { SAMPLE_COLLECTION_NAMES } from '../../scripts/lib/sample-schema.mjs';

// Every sample table by name: user rows and the files they reference (excludedTables mode also
// moves Directus' own collections and every file: tests/e2e/system.test.mjs).
const EVERY_SAMPLE_TABLE = SAMPLE_COLLECTION_NAMES;

const ndjson = { accept: 'application/x-ndjson' };

/** Everything Directus' services wrote on an instance, as a count, and the articles as they are. */
async function footprint(instance) {
	const api = client(instance.url, instance.token);
	const [activity] = await api.get('/activity?aggregate[count]=*');
	return { activity: Number(activity.count), articles: await api.get('/items/articles?limit=-1&sort=id&fields=*') };
}

/** Replace a file's bytes on an instance (multipart `PATCH /files/:id`). */
async function replaceFile(instance, id, bytes, type) {
	const form = new FormData();
	form.append('file', new Blob([bytes], { type }), 'replaced.bin');
	const res = await fetch(`${instance.url}/files/${id}`, { method: 'PATCH', headers: { Authorization: `Bearer ${instance.token}` }, body: form });
	assert.equal(res.status, 200, await res.text());
}

for (const version of VERSIONS) for (const transport of ['rest', 'bulk']) {
	describe(`verify on Directus ${version} over ${transport}`, () => {
		let pair, source, destination, target, referenced, documentId;
		const scope = { transport, selectedTables: EVERY_SAMPLE_TABLE, batchSize: 25 };

		before(async () => {
			({ pair, source, destination, target } = await startSamplePair(version));
			const { files } = await seedSampleFiles(source, { images: 2, documents: 2 });
			const images = files.filter((f) => f.type === 'image/png').map((f) => f.id);
			const documents = files.filter((f) => f.type !== 'image/png').map((f) => f.id);
			documentId = documents[1];
			await seedSampleData(source, { articles: 80, covers: images, attachments: documents });
			referenced = images.length + documents.length;
			// A user only the source has "created" some authors: the run nulls those references.
			const api = client(source.url, source.token);
			const stranger = await api.post('/users', { email: 'stranger@example.com', password: 'stranger-password' });
			const authors = await api.get('/items/authors?limit=2&sort=id');
			for (const author of authors) await api.patch(`/items/authors/${author.id}`, { user_created: stranger.id });
			const sync = await migrationCall(source, 'schema-sync', target);
			assert.match(sync.lines.at(-1), /^Applied: /);
		});
		after(() => pair?.stop());

		test('refuses bad input like a run, and non-admins', async () => {
			const unknown = await migrationCall(source, 'verify', { ...target, scope: { transport, selectedTables: ['nope'] } });
			assert.equal(unknown.status, 400);
			assert.match(unknown.body.message, /nope/);
			const tokenless = await migrationCall(source, 'verify', { baseURL: destination.url, scope });
			assert.equal(tokenless.status, 400);
			assert.match(tokenless.body.message, /token is required/);
			assert.equal((await migrationCall(source, 'verify', { ...target, scope }, { token: null })).status, 403);
		});

		test('before any row moved, every table differs: its rows are missing on the destination', async () => {
			const res = await migrationCall(source, 'verify', { ...target, scope });
			assert.equal(res.status, 200);
			assert.equal(res.body.status, 'differs');
			const articles = res.body.tables.find((t) => t.collection === 'articles');
			assert.equal(articles.status, 'differs');
			assert.equal(articles.missing, 80);
			assert.equal(articles.firstDifferences.length, 20);
			assert.equal(articles.firstDifferences[0].reason, 'missing on the destination');
		});

		test('a run with scope.verify ends with an identical verification in its report', async () => {
			const res = await migrationCall(source, 'run', { ...target, scope: { ...scope, verify: true } }, ndjson);
			const report = summaryOf(res);
			assert.equal(report.status, 'completed', JSON.stringify(report.failures));
			const { verification } = report;
			assert.equal(verification.status, 'identical', JSON.stringify(verification.tables.filter((t) => t.status !== 'identical'), null, 1));
			assert.equal(verification.transport, transport);
			for (const table of verification.tables) {
				assert.equal(table.status, 'identical', table.collection);
				assert.equal(table.digest.source, table.digest.destination, table.collection);
				assert.equal(table.destinationRows, report.table(table.collection).read, table.collection);
			}
			assert.ok(verification.tables.find((t) => t.collection === 'authors').nulledByDesign >= 2, 'the stranger\'s authors');
			assert.equal(verification.files.checked, referenced);
			assert.equal(verification.files.identical, referenced);
			assert.match(report.message, /\. Verification identical: /);
			const events = res.lines.map((line) => JSON.parse(line));
			assert.ok(events.some((e) => e.type === 'tableVerified'), 'a line per verified table');
			if (transport === 'rest') assert.ok(verification.notes.some((n) => /^articles: date_updated not compared/.test(n)), verification.notes.join('\n'));
			else assert.ok(!verification.notes.some((n) => /date_updated/.test(n)), 'a bulk copy compares every column');
		});

		test('verify on its own answers JSON once, writes nothing, and a dry run of it neither', async () => {
			const before = await footprint(destination);
			const res = await migrationCall(source, 'verify', { ...target, scope });
			assert.equal(res.status, 200);
			assert.match(res.headers.get('content-type'), /^application\/json/);
			assert.equal(res.body.status, 'identical', res.body.message);
			const dry = await migrationCall(source, 'verify', { ...target, dryRun: true, scope }, ndjson);
			assert.equal(summaryOf(dry).status, 'identical');
			assert.ok(dry.lines.some((l) => JSON.parse(l).type === 'compared'), 'progress per page');
			assert.deepEqual(await footprint(destination), before, 'no activity, no row changed');
		});

		test('names a changed row, a deleted row, the destination\'s own row and a file with other bytes', async () => {
			const api = client(destination.url, destination.token);
			const [changed] = await api.get('/items/articles?limit=1&sort=id&filter[id][_gt]=10');
			await api.patch(`/items/articles/${changed.id}`, { title: 'Changed on the destination' });
			const [deleted] = await api.get('/items/articles_translations?limit=1&sort=-id');
			await api.delete(`/items/articles_translations/${deleted.id}`);
			await api.post('/items/languages', { code: 'fr-FR', name: 'Français' });
			const original = Buffer.from(await (await fetch(`${source.url}/assets/${documentId}`, { headers: { Authorization: `Bearer ${source.token}` } })).arrayBuffer());
			const flipped = Buffer.from(original);
			flipped[0] ^= 0xff;
			await replaceFile(destination, documentId, flipped, 'application/octet-stream');

			const res = await migrationCall(source, 'verify', { ...target, scope }, ndjson);
			const answer = summaryOf(res);
			assert.equal(answer.status, 'differs');
			const articles = answer.table('articles');
			assert.equal(articles.status, 'differs');
			assert.equal(articles.different, 1);
			assert.deepEqual(articles.firstDifferences.map((d) => d.key), [changed.id]);
			assert.match(articles.firstDifferences[0].reason, /^differs in .*\btitle\b/);
			const translations = answer.table('articles_translations');
			assert.deepEqual([translations.missing, translations.firstDifferences[0]], [1, { key: deleted.id, reason: 'missing on the destination' }]);
			const languages = answer.table('languages');
			assert.deepEqual([languages.status, languages.extra], ['contains', 1]);
			assert.equal(answer.table('tags').status, 'identical');
			assert.equal(answer.files.differs, 1);
			assert.equal(answer.files.firstDifferences[0].key, documentId);
			assert.match(answer.files.firstDifferences[0].reason, /^content differs: sha256 [0-9a-f]{64} \(\d+ bytes\) on the source/);
			assert.match(answer.message, /^Verification differs: 2 of 9 collection\(s\) differ: articles \(differs\), articles_translations \(differs\); 1 of \d+ file\(s\) differ/);
		});
	});
}
