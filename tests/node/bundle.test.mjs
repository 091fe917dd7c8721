// The built dist/api.js loaded in plain Node, outside Directus: the bundle has the expected
// shape and its endpoint answers through the WASM core found beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT } from '../../scripts/lib/directus.mjs';

// Directus reads the named exports `endpoints`, `hooks` and `operations` of a bundle.
const bundle = await import(`${ROOT}/dist/api.js`);

/** Registers routes like an Express router and lets a test call them. */
function fakeRouter() {
	const routes = [];
	const router = {
		get: (path, ...handlers) => routes.push({ method: 'GET', path, handlers }),
		post: (path, ...handlers) => routes.push({ method: 'POST', path, handlers }),
		use: (...handlers) => routes.push({ method: 'USE', handlers }),
	};
	async function call(method, path, req = {}) {
		const route = routes.find((r) => r.method === method && r.path === path);
		assert.ok(route, `${method} ${path} is registered`);
		return new Promise((resolve, reject) => {
			const res = { statusCode: 200, status(code) { this.statusCode = code; return this; }, json: (body) => resolve({ status: res.statusCode, body }) };
			route.handlers[0]({ originalUrl: `/migration${path}`, ...req }, res, reject);
		});
	}
	return { router, routes, call };
}

const context = { services: {}, database: null, getSchema: async () => ({}), logger: { info() {}, warn() {}, error() {}, debug() {} }, env: {} };

test('dist/api.js is a bundle with the migration endpoint and nothing else', () => {
	assert.deepEqual(bundle.endpoints.map((e) => [e.name, e.config.id]), [['migration', 'migration']]);
	assert.deepEqual(bundle.hooks, []);
	assert.deepEqual(bundle.operations, []);
});

test('GET /test answers from the WASM core', async () => {
	const { router, call } = fakeRouter();
	bundle.endpoints[0].config.handler(router, context);
	const { status, body } = await call('GET', '/test');
	assert.equal(status, 200);
	assert.equal(body.message, 'Test endpoint working!');
	assert.ok(Math.abs(Date.parse(body.timestamp) - Date.now()) < 5_000);
});

test('every other route is behind the admin guard', async () => {
	const { router, routes } = fakeRouter();
	bundle.endpoints[0].config.handler(router, context);
	const guard = routes.find((r) => r.method === 'USE').handlers[0];
	const outcome = (accountability) => new Promise((resolve) => guard({ accountability }, {}, (error) => resolve(error ?? 'passed')));
	assert.equal(await outcome({ admin: true }), 'passed');
	for (const accountability of [null, undefined, { admin: false, user: 'u1' }]) {
		const error = await outcome(accountability);
		assert.equal(error.status, 403);
		assert.equal(error.code, 'FORBIDDEN');
	}
	assert.ok(routes.findIndex((r) => r.method === 'USE') > routes.findIndex((r) => r.path === '/test'), 'only /test is before the guard');
});
