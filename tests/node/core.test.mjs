// The WASM core loaded in plain Node with a fake host: the boundary converts requests, host
// replies and errors as the shim expects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ROOT } from '../../scripts/lib/directus.mjs';

const { initSync, Core } = await import(`${ROOT}/target/pkg/table_migration.js`);
initSync({ module: readFileSync(`${ROOT}/dist/table_migration_bg.wasm`) });

const snapshot = {
	version: 1,
	directus: '11.17.4',
	vendor: 'sqlite',
	collections: [
		{ collection: 'posts', meta: { icon: 'article', singleton: false }, schema: { name: 'posts' } },
		{ collection: 'folder', meta: { icon: 'folder' } },
		{ collection: 'settings', meta: { singleton: true }, schema: { name: 'settings' } },
	],
	fields: [],
	relations: [],
};

function fakeHost(overrides = {}) {
	const events = [];
	const counted = [];
	return {
		events,
		counted,
		readPage: async () => JSON.stringify({ rows: [] }),
		count: async ({ collection, filter }) => {
			counted.push({ collection, filter });
			return collection === 'posts' ? 42 : 1;
		},
		schemaSnapshot: async () => JSON.stringify(snapshot),
		emit: (event) => events.push(event),
		...overrides,
	};
}

/** `settings`: the extension's settings (`ExtensionSettings`); none means Directus' defaults. */
async function withCore(host, work, settings) {
	const core = new Core(host, settings);
	try {
		return await work(core);
	} finally {
		core.free();
	}
}

test('tables goes through the host: snapshot, then a count per table', async () => {
	const host = fakeHost();
	const tables = await withCore(host, (core) => core.tables('{}'));
	assert.deepEqual(tables.map((t) => [t.collection, t.type, t.count]), [['posts', 'table', 42], ['settings', 'singleton', 1]]);
	assert.deepEqual(host.counted, [{ collection: 'posts', filter: null }, { collection: 'settings', filter: null }]);
});

test('core errors reach JS as MigrationError with code and status', async () => {
	const error = await withCore(fakeHost(), (core) => core.schemaSync(JSON.stringify({ baseURL: 'http://127.0.0.1:9' }))).catch((e) => e);
	assert.ok(error instanceof Error);
	assert.equal(error.name, 'MigrationError');
	assert.equal(error.code, 'INVALID_PAYLOAD');
	assert.equal(error.status, 400);
	assert.match(error.message, /^token is required/);
});

test('a failing host becomes a SOURCE_ERROR carrying its message', async () => {
	const host = fakeHost({
		schemaSnapshot: async () => {
			throw Object.assign(new Error('You do not have permission to access this.'), { code: 'FORBIDDEN' });
		},
	});
	const error = await withCore(host, (core) => core.tables('{}')).catch((e) => e);
	assert.equal(error.code, 'SOURCE_ERROR');
	assert.equal(error.status, 500);
	assert.equal(error.message, 'source instance: You do not have permission to access this.');
});

test('a host that answers garbage is reported, not trusted', async () => {
	const error = await withCore(fakeHost({ schemaSnapshot: async () => '{not json' }), (core) => core.tables('{}')).catch((e) => e);
	assert.equal(error.code, 'SOURCE_ERROR');
	assert.match(error.message, /unreadable schema snapshot/);
});

test('check answers a refusal for an unusable request instead of throwing', async () => {
	const answer = await withCore(fakeHost(), (core) => core.check(JSON.stringify({ token: 't' })));
	assert.equal(answer.httpStatus, 400);
	assert.deepEqual({ ...answer.body, message: undefined }, { status: 'danger', icon: 'error', code: 'INVALID_PAYLOAD', message: undefined });
	assert.match(answer.body.message, /^baseURL is required/);
});

test('the destination is reached with fetch and network failures are named', async () => {
	const { createServer } = await import('node:net');
	const port = await new Promise((resolve) => {
		const server = createServer().listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
	const host = fakeHost();
	// 127.0.0.1 is this machine: allowed by a deny list without `0.0.0.0`, as the tests' instances have.
	const allowLoopback = { ipDenyList: ['169.254.169.254'] };
	const answer = await withCore(host, (core) => core.check(JSON.stringify({ baseURL: `http://127.0.0.1:${port}`, token: 'super-secret-token-xyz' })), allowLoopback);
	assert.equal(answer.httpStatus, 502);
	assert.match(answer.body.message, new RegExp(`unreachable: connect ECONNREFUSED 127.0.0.1:${port}`));
	const retries = host.events.filter((e) => e.type === 'retry');
	assert.equal(retries.length, 2, 'three attempts in all: a wrong address fails fast');
	assert.ok(retries.every((e) => e.progress === true && typeof e.message === 'string'));
	assert.ok(!JSON.stringify(host.events).includes('super-secret-token-xyz'), 'no event carries the token');
});

test('the receiver reads rows by key through the store, after checking the table', async () => {
	const asked = [];
	const host = fakeHost({
		databaseClient: async () => 'sqlite3',
		describeTable: async (collection) =>
			collection === 'posts' ? JSON.stringify({ collection, primaryKey: 'id', fields: [{ field: 'id', type: 'integer' }, { field: 'title', type: 'string' }] }) : null,
		readRows: async (request) => {
			asked.push(request);
			return JSON.stringify([{ id: 2, title: 'Two' }]);
		},
	});
	const body = (extra) => JSON.stringify({ collection: 'posts', primaryKey: 'id', columns: ['id', 'title'], keys: [2, 3], ...extra });
	const rows = await withCore(host, (core) => core.receiveRowsByKey(body()));
	assert.deepEqual(rows, [{ id: 2, title: 'Two' }]);
	assert.deepEqual(asked, [{ collection: 'posts', primaryKey: 'id', columns: ['id', 'title'], keys: [2, 3] }]);
	const error = await withCore(host, (core) => core.receiveRowsByKey(body({ collection: 'nope' }))).catch((e) => e);
	assert.equal(error.status, 400);
	assert.match(error.message, /collection nope does not exist/);
});

test('verify refuses an unusable request before reading anything', async () => {
	const host = fakeHost();
	const error = await withCore(host, (core) => core.verify(JSON.stringify({ baseURL: 'http://127.0.0.1:9', scope: { selectedTables: ['posts'] } }))).catch((e) => e);
	assert.equal(error.code, 'INVALID_PAYLOAD');
	assert.match(error.message, /^token is required/);
	assert.deepEqual(host.counted, []);
});

test("outbound requests follow Directus' deny list with the shim's real network lookups", async () => {
	const { network } = await import('../../js-shim/endpoint/host/network.js');
	const { createServer } = await import('node:http');
	const seen = [];
	const server = createServer((req, res) => seen.push(req.url) && res.end('{}'));
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const local = `http://127.0.0.1:${server.address().port}`;
	try {
		const host = fakeHost(network);
		const check = (baseURL, settings) => withCore(host, (core) => core.check(JSON.stringify({ baseURL, token: 't' })), settings);
		// Loopback spelled as one number, in hexadecimal, shortened: the resolver (as fetch's URL parser) reads 127.0.0.1.
		const port = server.address().port;
		const spellings = [`http://2130706433:${port}`, `http://0x7f000001:${port}`, `http://127.1:${port}`, `http://[::ffff:127.0.0.1]:${port}`];
		for (const baseURL of [local, 'http://169.254.169.254', `http://localhost:${port}`, ...spellings]) {
			const answer = await check(baseURL); // Directus' default: 0.0.0.0,169.254.169.254
			assert.equal(answer.httpStatus, 400, `${baseURL}: ${JSON.stringify(answer.body)}`);
			assert.equal(answer.body.code, 'DESTINATION_DENIED', baseURL);
		}
		const metadata = await check('http://169.254.169.254', { ipDenyList: ['169.254.169.254'] });
		assert.equal(metadata.body.code, 'DESTINATION_DENIED');
		assert.deepEqual(seen, [], 'nothing was sent');
		// Named in MIGRATION_ALLOWED_DESTINATIONS: allowed although its address is denied.
		const named = await check(local, { allowedDestinations: local });
		assert.notEqual(named.body.code, 'DESTINATION_DENIED', JSON.stringify(named.body));
		assert.ok(seen.length > 0, 'the named destination was asked');
		// A callback to a denied address is refused before the run starts.
		const error = await withCore(host, (core) => core.run(JSON.stringify({ baseURL: 'https://dest.example', token: 't', scope: { selectedTables: ['posts'] }, callbackUrl: `${local}/hook` }))).catch((e) => e);
		assert.equal(error.code, 'CALLBACK_DENIED', error.message);
	} finally {
		server.close();
	}
});
