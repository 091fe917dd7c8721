// Hostile input: every route gets bodies a caller could send by mistake or on purpose. Each one is
// refused with a 4xx JSON answer naming the problem, the instance keeps answering, and nothing is
// written on either side.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { VERSIONS } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { fullSnapshot, startSamplePair } from './support.mjs';

const ALL = ['check', 'tables', 'schema-sync', 'dry-run', 'run', 'verify'];
const WITH_DESTINATION = ['check', 'schema-sync', 'dry-run', 'run', 'verify'];
const DATA = ['dry-run', 'run', 'verify'];

/** `[routes, body text, what the answer must say]`. */
function hostileBodies(target) {
	const json = (value) => JSON.stringify(value);
	const withToken = (token) => json({ ...target, token, scope: { selectedTables: ['tags'] } });
	const withUrl = (baseURL) => json({ ...target, baseURL });
	return [
		// A token or address that cannot be sent is refused wherever it appears.
		[ALL, withToken('tok’en'), /token contains the character '’'/],
		[ALL, withToken('a\nb'), /token contains a line break/],
		[ALL, withToken('a\u0000b'), /token contains the control character U\+0000/],
		[ALL, withToken(`x${'é'.repeat(5000)}`), /token contains the character 'é'/],
		[ALL, withUrl('http://[::1'), /invalid destination URL/],
		[ALL, withUrl('javascript:alert(1)'), /must start with http/],
		[ALL, withUrl('http://user:pw@127.0.0.1'), /credentials in the URL/],
		[ALL, withUrl(`http://${'a'.repeat(70_000)}`), /invalid destination URL/],
		[ALL, withUrl('http://127.0.0.1:99999'), /invalid destination URL/],
		// Misspelled, mistyped and contradictory fields.
		[ALL, json({ ...target, dry_run: true }), /unknown field `dry_run`, expected one of/],
		[ALL, json({ ...target, scope: { selectedtables: ['tags'] } }), /scope: unknown field `selectedtables`/],
		[ALL, json({ ...target, scope: { selectedTables: ['tags'], excludedTables: [] } }), /exclude each other/],
		[ALL, json({ ...target, scope: { selectedTables: 'tags' } }), /scope\.selectedTables: invalid type/],
		[ALL, json({ ...target, scope: { batchSize: -1, selectedTables: ['tags'] } }), /scope\.batchSize/],
		[ALL, json({ ...target, scope: { batchSize: 1e30, selectedTables: ['tags'] } }), /scope\.batchSize/],
		// Values only the data routes use are checked on every route (before: check, tables and
		// schema-sync answered 200, and the schema-sync applied).
		[ALL, json({ ...target, scope: { batchSize: 1e9, selectedTables: ['tags'] } }), /scope\.batchSize must be between 1 and 5000, not 1000000000/],
		[ALL, json({ ...target, scope: { concurrency: 99, selectedTables: ['tags'] } }), /scope\.concurrency must be between 1 and 16/],
		[ALL, json({ ...target, scope: { maxRequestsPerSecond: -1, selectedTables: ['tags'] } }), /scope\.maxRequestsPerSecond must be more than 0/],
		[ALL, json({ ...target, scope: { selectedTables: ['tags'], updatedAfter: 'yesterday' } }), /scope\.updatedAfter is not a valid/],
		[ALL, json({ ...target, scope: { selectedTables: ['tags', null] } }), /scope\.selectedTables/],
		[ALL, json({ ...target, baseURL: 42 }), /baseURL: invalid type/],
		[ALL, json({ ...target, token: ['x'] }), /token: invalid type/],
		[ALL, json({ ...target, scope: JSON.parse(`${'{"a":'.repeat(400)}1${'}'.repeat(400)}`) }), /unknown field `a`/],
		// Not a request body at all.
		[ALL, '[]', /must be a JSON object/],
		[ALL, '"just a string"', /must be a JSON object|invalid/i],
		[ALL, `${'['.repeat(5000)}${']'.repeat(5000)}`, /must be a JSON object/],
		[ALL, '{"baseURL":', /./],
		// Names the routes that read tables check against the source.
		[[...DATA, 'schema-sync'], json({ ...target, scope: { selectedTables: ['../../etc/passwd', "tags'; DROP TABLE tags; --"] } }), /does not have/],
		[ALL, json({ ...target, scope: { selectedTables: ['tags'], updatedAfter: '2026-02-30T99:00:00Z' } }), /scope\.updatedAfter is not a valid/],
		[ALL, json({ ...target, scope: { selectedTables: ['tags'], transport: 'pigeon' } }), /scope\.transport must be/],
		[WITH_DESTINATION, json({ scope: { selectedTables: ['tags'] } }), /baseURL is required/],
	];
}

for (const version of VERSIONS) {
	describe(`hostile input on Directus ${version}`, () => {
		let pair, source, destination, target;
		let before_;

		before(async () => {
			({ pair, source, destination, target } = await startSamplePair(version));
			await seedSampleData(source, { articles: 20 });
			before_ = { snapshot: await fullSnapshot(destination), users: await client(destination.url, destination.token).get('/users?fields=id,token&limit=-1') };
		});
		after(() => pair?.stop());

		const post = (route, text, headers = {}) =>
			fetch(`${source.url}/migration/${route}`, { method: 'POST', headers: { Authorization: `Bearer ${source.token}`, 'Content-Type': 'application/json', ...headers }, body: text }).then(async (res) => ({
				status: res.status,
				type: res.headers.get('content-type') ?? '',
				text: await res.text(),
			}));

		test('every route refuses every hostile body with a 4xx JSON answer naming the problem', async () => {
			for (const [routes, text, message] of hostileBodies(target)) {
				for (const route of routes) {
					const res = await post(route, text);
					const what = `${route} ${text.slice(0, 60)}`;
					assert.ok(res.status >= 400 && res.status < 500, `${what}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
					assert.match(res.type, /application\/json/, what);
					const body = JSON.parse(res.text);
					const said = body.message ?? body.errors?.[0]?.message;
					assert.ok(typeof said === 'string' && said.length > 0, `${what}: a message`);
					assert.match(said, message, what);
				}
			}
			// dryRun where it contradicts the route.
			assert.match(JSON.parse((await post('run', JSON.stringify({ ...target, dryRun: true, scope: { selectedTables: ['tags'] } }))).text).message, /dryRun is not taken by \/migration\/run/);
			assert.match(JSON.parse((await post('dry-run', JSON.stringify({ ...target, dryRun: false, scope: { selectedTables: ['tags'] } }))).text).message, /contradicts/);
		});

		test('the receiver refuses hostile batches without writing', async () => {
			const receive = (body, type = 'application/x-ndjson', extra = {}) =>
				fetch(`${destination.url}/migration/receive/rows`, { method: 'POST', headers: { Authorization: `Bearer ${destination.token}`, 'Content-Type': type, ...extra }, body }).then(async (res) => ({ status: res.status, body: await res.json() }));
			const header = (extra = {}) => JSON.stringify({ wire: 1, mode: 'create', collection: 'tags', primaryKey: 'id', columns: ['id', 'name'], ...extra });
			const cases = [
				[`${header({ columns: ['id', 'name', 'id'] })}\n[1,"a",1]`, 400, /listed twice/],
				[`${header({ columns: Array.from({ length: 1001 }, (_, i) => `c${i}`).concat('id') })}\n[1]`, 400, /at most 1000/],
				[`${header({ mode: 'delete' })}\n[1,"a"]`, 400, /header is not valid/],
				[`${header({ collection: 'directus_users' })}\n[1,"a"]`, 400, /Directus' own collections: the receiver writes none/],
				[`${header({ collection: 'nope' })}\n[1,"a"]`, 400, /does not exist/],
				[Buffer.from([0xff, 0xfe, 0x00, 0x41]), 400, /not UTF-8/],
				['x'.repeat(9 * 1024 * 1024), 413, /at most/],
			];
			for (const [body, status, message] of cases) {
				const res = await receive(body);
				assert.equal(res.status, status, String(body).slice(0, 80));
				assert.match(res.body.message, message);
			}
			const wrongType = await receive(`${header()}\n[1,"a"]`, 'application/json');
			assert.equal(wrongType.status, 400, 'a JSON body is not a batch');
			const existing = await client(destination.url, destination.token).request('POST', '/migration/receive/existing', { collection: 'tags', primaryKey: 'id', keys: [1], extra: true });
			assert.equal(existing.status, 400);
			assert.match(existing.body.message, /unknown field `extra`/);
		});

		test('both instances still answer, and nothing was written', async () => {
			for (const instance of [source, destination]) {
				const res = await client(instance.url).request('GET', '/migration/test');
				assert.equal(res.status, 200, instance.name);
			}
			assert.deepEqual(await fullSnapshot(destination), before_.snapshot, 'the destination schema is untouched');
			assert.deepEqual(await client(destination.url, destination.token).get('/users?fields=id,token&limit=-1'), before_.users);
			const collections = (await client(destination.url, destination.token).get('/collections')).map((c) => c.collection);
			assert.ok(!collections.includes('tags'), 'no schema was synced');
		});
	});
}
