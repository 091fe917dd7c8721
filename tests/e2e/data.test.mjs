// Data endpoints on real instances: /dry-run and /run move the sample data exactly, safely
// re-runnable, incrementally with updatedAfter, and report refused rows. In excludedTables mode
// Directus' own collections move too (tests/e2e/system.test.mjs judges them): here, users the
// source has arrive, so rows that reference them keep the reference.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { client } from '../../scripts/lib/api.mjs';
import { SAMPLE_COLLECTION_NAMES } from '../../scripts/lib/sample-schema.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { MATRIX, migrationCall, startSamplePair, summaryOf } from './support.mjs';
import { startFaultProxy } from './fault-proxy.mjs';

const KEYS = { languages: 'code' };
/** Over REST, collections whose created fields Directus lets only an update write: it stamps
 * date_updated. The bulk transport copies them as they are. */
const STAMPED = { rest: ['authors', 'articles'], bulk: [] };
const TRANSPORTS = ['rest', 'bulk'];
/** Requests that write rows: creates, updates and deletes of items, and the receiver's batches. */
const isRowWrite = ({ method, path }) => (/^\/items\//.test(path) && method !== 'GET') || (method === 'POST' && /^\/migration\/receive\/rows(\?|$)/.test(path));

async function rowsOf(instance, collection) {
	const key = KEYS[collection] ?? 'id';
	const data = await client(instance.url, instance.token).get(`/items/${collection}?limit=-1&sort=${key}&fields=*`);
	return Array.isArray(data) ? data : [data]; // a singleton answers with its one row
}

for (const { db, version, label } of MATRIX) for (const transport of TRANSPORTS) {
	describe(`data endpoints on ${label} over ${transport}`, () => {
		let pair, source, destination, target, counts, stranger;
		const ndjson = { accept: 'application/x-ndjson' };

		before(async () => {
			({ pair, source, destination, target } = await startSamplePair(version, db));
			counts = await seedSampleData(source, { articles: 1500 });
			// A user only the source has, who "created" some authors: excludedTables mode brings them.
			const api = client(source.url, source.token);
			stranger = await api.post('/users', { email: 'stranger@example.com', password: 'stranger-password' });
			const authors = await rowsOf(source, 'authors');
			for (const author of authors.slice(0, 3)) await api.patch(`/items/authors/${author.id}`, { user_created: stranger.id });
		});
		after(() => pair?.stop());

		// Bad input is refused as the body is parsed, before any database or destination is asked:
		// checked once, in the first suite, not in every vendor, version and transport.
		if (db === MATRIX[0].db && version === MATRIX[0].version && transport === TRANSPORTS[0]) {
			test('dry-run and run refuse bad input with 400, naming the field', async () => {
				const bad = [
					[{ ...target, scope: { transport } }, /scope.selectedTables is required/],
					[{ ...target, scope: { transport, selectedTables: ['nope'] } }, /nope/],
					[{ ...target, scope: { transport, selectedTables: ['articles'], updatedAfter: 'soon' } }, /scope.updatedAfter is not a valid/],
					[{ token: destination.token, scope: { transport, selectedTables: ['articles'] } }, /baseURL is required/],
					[{ baseURL: destination.url, scope: { transport, selectedTables: ['articles'] } }, /token is required/],
				];
				for (const route of ['dry-run', 'run']) {
					for (const [body, message] of bad) {
						const refused = await migrationCall(source, route, body);
						assert.equal(refused.status, 400, `${route} ${JSON.stringify(body.scope)}`);
						assert.match(refused.body.message, message);
					}
				}
			});
		}

		test('run refuses with 409 while the schema differs', async () => {
			const res = await migrationCall(source, 'run', { ...target, scope: { transport, selectedTables: ['articles'] } });
			assert.equal(res.status, 409);
			const { differences, errors, ...answer } = res.body;
			assert.deepEqual(answer, { status: 'danger', icon: 'error', code: 'SCHEMA_MISMATCH', message: 'Schema differences detected. Please run /migration/schema-sync first.' });
			// Directus' own error shape beside the fields the contract names.
			assert.deepEqual(errors, [{ message: answer.message, extensions: { code: 'SCHEMA_MISMATCH', differences } }]);
			assert.ok(differences.some((line) => /^articles: create collection/.test(line)), differences.join('\n'));
			const sync = await migrationCall(source, 'schema-sync', target);
			assert.match(sync.lines.at(-1), /^Applied: /);
		});

		test('dry-run reports what would be created and writes nothing', async () => {
			const res = await migrationCall(source, 'dry-run', { ...target, scope: { transport, excludedTables: [] } }, ndjson);
			assert.equal(res.status, 200);
			const report = summaryOf(res);
			assert.equal(report.status, 'completed');
			assert.equal(report.dryRun, true);
			for (const [collection, count] of Object.entries(counts)) {
				assert.equal(report.table(collection).created, count, collection);
			}
			for (const collection of SAMPLE_COLLECTION_NAMES.filter((c) => c !== 'site_settings')) {
				assert.equal((await rowsOf(destination, collection)).length, 0, collection);
			}
		});

		test('run with excludedTables moves every other user table, then the rest; rows equal the source field for field', async () => {
			// Small pages: every key type (integer, uuid, string) is paged with its cursor.
			const first = await migrationCall(source, 'run', { ...target, scope: { transport, excludedTables: ['tags', 'articles_tags'], batchSize: 40, concurrency: 3 } });
			assert.equal(first.status, 200);
			assert.match(first.headers.get('content-type'), /^text\/plain/);
			assert.match(first.lines.at(-1), /^Migration completed in /, first.text.slice(-3000));
			assert.ok(first.lines.some((l) => /^articles: \d+\/1500 rows read/.test(l)), 'progress per page');
			assert.equal((await rowsOf(destination, 'tags')).length, 0);
			assert.equal((await rowsOf(destination, 'articles_tags')).length, 0);

			const second = await migrationCall(source, 'run', { ...target, scope: { transport, excludedTables: [] } }, ndjson);
			const report = summaryOf(second);
			assert.equal(report.transport, transport);
			assert.ok(first.lines.some((l) => l.startsWith(`Transport: ${transport === 'bulk' ? 'bulk receiver' : 'REST API'}`)), first.lines.slice(0, 3).join('\n'));
			assert.equal(report.status, 'completed', JSON.stringify(report.failures));
			assert.equal(report.table('tags').created, counts.tags);
			assert.equal(report.table('articles_tags').created, counts.articles_tags);
			assert.equal(report.table('articles').skipped, counts.articles, 'nothing moved twice');
			assert.ok(second.lines.some((l) => JSON.parse(l).type === 'rows'));

			// Users move in excludedTables mode: the stranger only the source had is on the
			// destination now, with the same id, and the authors they created still point at them.
			const destinationUsers = new Set((await client(destination.url, destination.token).get('/users?fields=id&limit=-1')).map((u) => u.id));
			assert.ok(destinationUsers.has(stranger.id), 'the source\'s users arrive');
			assert.equal(report.table('directus_users').failed, 0);
			for (const collection of SAMPLE_COLLECTION_NAMES) {
				const [ours, theirs] = await Promise.all([rowsOf(source, collection), rowsOf(destination, collection)]);
				assert.equal(theirs.length, ours.length, collection);
				const strip = (row) => {
					const copy = { ...row };
					if (STAMPED[transport].includes(collection)) delete copy.date_updated;
					return copy;
				};
				assert.deepEqual(theirs.map(strip), ours.map(strip), collection);
				// JSON documents arrive as they were written, their keys in the same order.
				const documents = (rows) => rows.map((row) => Object.values(row).filter((v) => v !== null && typeof v === 'object').map((v) => JSON.stringify(v)));
				assert.deepEqual(documents(theirs), documents(ours), `${collection}: JSON key order`);
			}
			const authors = await rowsOf(destination, 'authors');
			assert.equal(authors.filter((a) => a.user_created === stranger.id).length, 3, 'the stranger\'s three authors keep their creator');
			assert.ok(!first.text.includes('missing reference(s) set to null'), 'no reference had to be nulled');
		});

		test('string keys page with their cursor too', async () => {
			const res = await migrationCall(source, 'dry-run', { ...target, scope: { transport, selectedTables: ['languages'], batchSize: 1 } }, ndjson);
			const report = summaryOf(res);
			assert.equal(report.table('languages').read, counts.languages);
			assert.equal(report.table('languages').skipped, counts.languages);
		});

		test('a second run creates nothing and reports everything skipped', async () => {
			const res = await migrationCall(source, 'run', { ...target, scope: { transport, excludedTables: [] } }, ndjson);
			const report = summaryOf(res);
			assert.equal(report.status, 'completed');
			for (const table of report.tables) {
				assert.equal(table.created, 0, table.collection);
				assert.equal(table.updated, 0, table.collection);
				assert.equal(table.skipped, table.read, table.collection);
			}
			const total = Object.values(counts).reduce((a, b) => a + b, 0);
			const sample = report.tables.filter((t) => !t.collection.startsWith('directus_'));
			assert.equal(sample.reduce((sum, t) => sum + t.skipped, 0), total);
		});

		test('updatedAfter moves only rows changed since then', async () => {
			const api = client(source.url, source.token);
			const since = new Date(Date.now() - 1).toISOString();
			await new Promise((r) => setTimeout(r, 20));
			const fresh = await api.post('/items/articles', Array.from({ length: 20 }, (_, i) => ({ title: `Fresh ${i} — ✓`, slug: `fresh-${i}`, status: 'draft' })));
			const older = (await rowsOf(source, 'articles')).slice(0, 5);
			for (const article of older) await api.patch(`/items/articles/${article.id}`, { word_count: 4242 });

			const res = await migrationCall(source, 'run', { ...target, scope: { transport, selectedTables: ['articles'], updatedAfter: since } }, ndjson);
			const report = summaryOf(res);
			assert.equal(report.table('articles').read, 25, 'the 20 new and the 5 updated articles only');
			assert.equal(report.table('articles').created, 20);
			assert.equal(report.table('articles').skipped, 5, 'an updated row that exists is never overwritten');
			const there = new Set((await rowsOf(destination, 'articles')).map((a) => a.id));
			assert.ok(fresh.every((a) => there.has(a.id)));
			const unchanged = (await rowsOf(destination, 'articles')).find((a) => a.id === older[0].id);
			assert.notEqual(unchanged.word_count, 4242);
		});

		test('merge carries exactly the edits after a cutoff, keeps what only the destination has, and a second merge writes nothing', async () => {
			const api = client(source.url, source.token);
			const theirApi = client(destination.url, destination.token);
			const scope = (extra) => ({ ...target, scope: { transport, selectedTables: ['articles', 'tags', 'site_settings'], ...extra } });
			const articles = await rowsOf(source, 'articles');
			// The destination's own: an edit of a row the source leaves alone, and a row it alone has.
			const untouched = articles.at(-1);
			await theirApi.patch(`/items/articles/${untouched.id}`, { word_count: 7 });
			// Its own key, far from the source's next ones (a clash would be the source's row).
			const onlyThere = await theirApi.post('/items/tags', { id: 80_000, name: 'only on the destination' });
			// The cutoff on a whole second (MySQL and MariaDB keep timestamps in whole seconds, and
			// the cutoff is taken from its whole second): the earlier tests' edits stay before it.
			await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
			const since = new Date().toISOString();
			const edited = articles.slice(10, 22);
			const authors = await rowsOf(source, 'authors');
			for (const [i, article] of edited.entries()) {
				await api.patch(`/items/articles/${article.id}`, { title: `${article.title} (edited)`, extra: { edited: i, nested: { ok: true } }, author: authors[i].id });
			}
			const [tag] = (await rowsOf(source, 'tags')).slice(0, 1);
			await api.patch(`/items/tags/${tag.id}`, { name: `${tag.name} renamed` });
			await api.patch('/items/site_settings', { site_name: 'Edited on the source' });
			const added = await api.post('/items/tags', { name: 'added after the cutoff' });

			const add = summaryOf(await migrationCall(source, 'run', scope({ updatedAfter: since }), ndjson));
			assert.equal(add.status, 'completed', JSON.stringify(add.failures));
			assert.deepEqual([add.table('tags').created, add.table('tags').updated, add.table('articles').skipped], [1, 0, 12]);
			assert.equal((await rowsOf(destination, 'articles')).find((a) => a.id === edited[0].id).title, edited[0].title, 'add overwrites nothing');

			const merge = await migrationCall(source, 'run', scope({ updatedAfter: since, mode: 'merge' }), ndjson);
			const report = summaryOf(merge);
			assert.equal(report.status, 'completed', JSON.stringify(report.failures));
			const counted = (name) => { const t = report.table(name); return [t.read, t.created, t.updated, t.unchanged, t.skipped]; };
			assert.deepEqual(counted('articles'), [12, 0, 12, 0, 0]);
			const tagCount = (await rowsOf(source, 'tags')).length; // no date field: every tag is read
			assert.deepEqual(counted('tags'), [tagCount, 0, 1, tagCount - 1, 0], 'the renamed tag; the others, the added one too, are there');
			assert.deepEqual(counted('site_settings'), [1, 0, 1, 0, 0]);
			assert.ok(merge.lines.some((l) => { const e = JSON.parse(l); return e.type === 'rows' && e.collection === 'articles' && e.updated === 12; }), 'the stream shows updated');
			const strip = (collection) => (row) => {
				const copy = { ...row };
				if (STAMPED[transport].includes(collection) || transport === 'rest') delete copy.date_updated;
				return copy;
			};
			const there = await rowsOf(destination, 'articles');
			const sourceNow = await rowsOf(source, 'articles');
			for (const article of edited) {
				assert.deepEqual(strip('articles')(there.find((a) => a.id === article.id)), strip('articles')(sourceNow.find((a) => a.id === article.id)));
			}
			assert.equal(there.find((a) => a.id === untouched.id).word_count, 7, 'a destination edit of a row the source did not change stays');
			assert.equal((await rowsOf(destination, 'site_settings'))[0].site_name, 'Edited on the source');
			const tags = await rowsOf(destination, 'tags');
			assert.equal(tags.find((t) => t.id === tag.id).name, `${tag.name} renamed`);
			assert.ok(tags.some((t) => t.id === onlyThere.id), 'a row only the destination has stays');
			assert.ok(tags.some((t) => t.id === added.id));

			// Without a cutoff the selected tables become the source's (the rows only the
			// destination has aside), and a second merge finds nothing to write.
			const full = summaryOf(await migrationCall(source, 'run', scope({ mode: 'merge' }), ndjson));
			assert.equal(full.status, 'completed', JSON.stringify(full.failures));
			assert.ok(full.table('articles').updated >= 6, 'the untouched row and the five edited before the cutoff');
			for (const collection of ['articles', 'tags', 'site_settings']) {
				const [ours, theirs] = await Promise.all([rowsOf(source, collection), rowsOf(destination, collection)]);
				const mine = new Set(ours.map((r) => r.id));
				assert.deepEqual(theirs.filter((r) => mine.has(r.id)).map(strip(collection)), ours.map(strip(collection)), collection);
			}
			// The second merge goes through a proxy that counts what reaches the destination.
			const proxy = await startFaultProxy(destination.url);
			try {
				const through = { ...scope({ mode: 'merge' }), baseURL: proxy.url };
				const again = summaryOf(await migrationCall(source, 'run', through, ndjson));
				for (const table of again.tables) {
					assert.deepEqual([table.created, table.updated, table.unchanged], [0, 0, table.read], table.collection);
				}
				assert.ok(proxy.entries.length > 0, 'the merge went through the proxy');
				assert.deepEqual(proxy.entries.filter(isRowWrite).map((e) => `${e.method} ${e.path}`), [], 'a second merge writes no row');
			} finally {
				await proxy.close();
			}
		});

		test('deleteMissing deletes exactly the rows the source lost; a dry run lists them and deletes nothing', async () => {
			const api = client(source.url, source.token);
			const theirApi = client(destination.url, destination.token);
			const scope = (extra) => ({ ...target, scope: { transport, selectedTables: ['tags'], mode: 'merge', ...extra } });
			const doomed = await api.post('/items/tags', [{ name: 'to be deleted 1' }, { name: 'to be deleted 2' }]);
			const first = summaryOf(await migrationCall(source, 'run', scope({}), ndjson));
			assert.equal(first.table('tags').created, 2, JSON.stringify(first.failures));
			await api.delete('/items/tags', doomed.map((t) => t.id));
			// And one only the destination has: the source does not have its key either.
			const own = await theirApi.post('/items/tags', { id: 85_000, name: 'only here, to be deleted' });
			const keys = async (instance) => (await rowsOf(instance, 'tags')).map((t) => String(t.id));
			const before = await keys(destination);
			// The rows the source lost, and those only the destination has (an earlier test's too).
			const theirs = new Set(await keys(source));
			const lost = before.filter((k) => !theirs.has(k));
			assert.ok([...doomed.map((t) => t.id), own.id].every((k) => lost.includes(String(k))), lost.join(', '));

			const dry = summaryOf(await migrationCall(source, 'dry-run', scope({ deleteMissing: true }), ndjson));
			assert.equal(dry.status, 'completed', JSON.stringify(dry.failures));
			assert.equal(dry.table('tags').deleted, lost.length);
			assert.deepEqual(dry.table('tags').deletedKeys.map(String), lost, 'a dry run lists them, in key order');
			assert.deepEqual(await keys(destination), before, 'a dry run deletes nothing');

			const res = await migrationCall(source, 'run', scope({ deleteMissing: true }), ndjson);
			const done = summaryOf(res);
			assert.equal(done.status, 'completed', JSON.stringify(done.failures));
			assert.equal(done.table('tags').deleted, lost.length);
			const event = res.lines.map((l) => JSON.parse(l)).find((e) => e.type === 'deleted');
			assert.deepEqual([event.collection, event.keys.map(String), event.dryRun], ['tags', lost, false]);
			assert.deepEqual(await keys(destination), await keys(source), 'the destination has exactly the source\'s tags');
			assert.deepEqual(before.filter((k) => !lost.includes(k)), await keys(destination), 'nothing else deleted');

			const again = summaryOf(await migrationCall(source, 'run', scope({ deleteMissing: true }), ndjson));
			assert.equal(again.table('tags').deleted, 0);
			const refused = await migrationCall(source, 'run', { ...target, scope: { transport, selectedTables: ['tags'], deleteMissing: true } });
			assert.equal(refused.status, 400);
			assert.match(refused.body.message, /^scope\.deleteMissing needs scope\.mode: "merge"/);
		});

		test('a row the destination refuses is reported with its key and error; the others arrive', async () => {
			const api = client(source.url, source.token);
			const [clash, fine] = await api.post('/items/tags', [{ name: 'clash-on-destination' }, { name: 'arrives-fine' }]);
			await client(destination.url, destination.token).post('/items/tags', { id: 90_000, name: 'clash-on-destination' });
			const res = await migrationCall(source, 'run', { ...target, scope: { transport, selectedTables: ['tags'] } }, ndjson);
			const report = summaryOf(res);
			assert.equal(report.status, 'completed with errors');
			assert.equal(report.failureCount, 1);
			assert.equal(report.failures[0].collection, 'tags');
			assert.equal(report.failures[0].key, clash.id);
			assert.match(report.failures[0].message, /unique/i);
			const failedLine = res.lines.map((l) => JSON.parse(l)).find((e) => e.type === 'rowFailed');
			assert.equal(failedLine.key, clash.id);
			const tags = await rowsOf(destination, 'tags');
			assert.ok(tags.some((t) => t.id === fine.id && t.name === 'arrives-fine'));
			assert.ok(!tags.some((t) => t.id === clash.id));
		});
	});
}
