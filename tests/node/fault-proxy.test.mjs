// The fault-injecting proxy of the end-to-end tests (tests/e2e/fault-proxy.mjs), against a tiny
// local HTTP server: every action does what it says, rules fire when they should, bodies stream,
// the Authorization header passes as is and is never logged, and the proxy stays bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import { startFaultProxy, pass, status, delay, dropBeforeForward, dropAfterForward } from '../e2e/fault-proxy.mjs';

const TOKEN = 'Bearer s3cret-token-never-logged';

/** The upstream: records every request it sees (with a hash of its body) and answers 201 JSON. */
let upstream, upstreamUrl;
const seen = [];
before(async () => {
	upstream = createServer((req, res) => {
		const hash = createHash('sha256');
		let bytes = 0;
		req.on('data', (chunk) => {
			hash.update(chunk);
			bytes += chunk.length;
		});
		req.on('end', () => {
			seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, bytes, sha256: hash.digest('hex'), at: Date.now() });
			const body = JSON.stringify({ data: { url: req.url, bytes } });
			res.writeHead(201, { 'Content-Type': 'application/json', 'X-Upstream': 'yes' });
			res.end(body);
		});
	});
	await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
	upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;
});
after(() => new Promise((resolve) => {
	upstream.close(resolve);
	upstream.closeAllConnections();
}));

/** A proxy for one test, closed after it; `lines` are what it logged. */
async function withProxy(t, options = {}) {
	const lines = [];
	const proxy = await startFaultProxy(upstreamUrl, { log: (line) => lines.push(line), ...options });
	t.after(() => proxy.close());
	seen.length = 0;
	return { proxy, lines };
}

const send = (proxy, path, { method = 'GET', body, headers = {} } = {}) =>
	fetch(`${proxy.url}${path}`, { method, body, headers: { Authorization: TOKEN, ...headers }, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) });

test('passes requests through: status, headers and body both ways, Authorization as is', async (t) => {
	const { proxy } = await withProxy(t);
	const res = await send(proxy, '/items/tags?fields=id&limit=2', { method: 'POST', body: '[{"id":1}]', headers: { 'Content-Type': 'application/json' } });
	assert.equal(res.status, 201);
	assert.equal(res.headers.get('x-upstream'), 'yes');
	assert.deepEqual(await res.json(), { data: { url: '/items/tags?fields=id&limit=2', bytes: 10 } });
	assert.equal(seen.length, 1);
	assert.equal(seen[0].authorization, TOKEN);
	assert.equal(proxy.counters.requests, 1);
	assert.equal(proxy.counters.forwarded, 1);
	assert.deepEqual(proxy.counters.byAction, { pass: 1 });
	assert.equal(proxy.counters.byRoute['POST /items/tags'], 1);
});

test('streams large bodies (also past a rule that peeks at the body), byte for byte', async (t) => {
	const { proxy } = await withProxy(t, { maxPeekBytes: 16 * 1024 });
	proxy.rule({ name: 'looks at bodies', method: 'POST', body: /"collection":"never"/, action: status(500) });
	const content = randomBytes(8 * 1024 * 1024);
	for (const path of ['/files', '/migration/receive/rows']) {
		// Streamed from the client in small chunks, so the proxy never sees it whole.
		const stream = new ReadableStream({
			start(controller) {
				for (let i = 0; i < content.length; i += 64 * 1024) controller.enqueue(content.subarray(i, i + 64 * 1024));
				controller.close();
			},
		});
		const res = await send(proxy, path, { method: 'POST', body: stream, headers: { 'Content-Type': 'application/octet-stream' } });
		assert.equal(res.status, 201);
		assert.equal((await res.json()).data.bytes, content.length);
	}
	assert.equal(seen.length, 2);
	for (const request of seen) assert.equal(request.sha256, createHash('sha256').update(content).digest('hex'));
	assert.equal(proxy.rules[0].matched, 0, 'the body did not match');
});

test('status(code) answers without forwarding, in Directus\' error envelope, with Retry-After when asked', async (t) => {
	const { proxy } = await withProxy(t);
	proxy.rule({ method: 'POST', path: /^\/items\//, times: 1, action: status(503) });
	proxy.rule({ method: 'POST', path: /^\/items\//, times: 1, action: status(429, { retryAfter: 2 }) });
	const first = await send(proxy, '/items/tags', { method: 'POST', body: randomBytes(300_000) });
	assert.equal(first.status, 503);
	assert.equal(first.headers.get('retry-after'), null);
	assert.deepEqual(await first.json(), { errors: [{ message: 'Injected by the fault proxy: HTTP 503', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
	const second = await send(proxy, '/items/tags', { method: 'POST', body: '[]' });
	assert.equal(second.status, 429);
	assert.equal(second.headers.get('retry-after'), '2');
	assert.equal((await second.json()).errors[0].extensions.code, 'REQUESTS_EXCEEDED');
	assert.equal(seen.length, 0, 'neither reached the destination');
	assert.equal((await send(proxy, '/items/tags', { method: 'POST', body: '[]' })).status, 201, 'both rules are spent');
	assert.equal(proxy.counters.answeredByProxy, 2);
	assert.deepEqual(proxy.counters.byAction, { status: 2, pass: 1 });
});

test('dropBeforeForward closes the connection and the destination never sees the request', async (t) => {
	const { proxy } = await withProxy(t);
	proxy.rule({ method: 'POST', times: 1, action: dropBeforeForward() });
	await assert.rejects(send(proxy, '/items/tags', { method: 'POST', body: '[{"id":1}]' }), /fetch failed/);
	assert.equal(seen.length, 0);
	assert.equal(proxy.counters.dropped, 1);
	assert.equal((await send(proxy, '/items/tags', { method: 'POST', body: '[{"id":1}]' })).status, 201);
});

test('dropAfterForward lets the destination do the work, then loses its answer', async (t) => {
	const { proxy } = await withProxy(t);
	proxy.rule({ method: 'POST', path: /^\/migration\/receive\/rows$/, times: 1, action: dropAfterForward() });
	await assert.rejects(send(proxy, '/migration/receive/rows', { method: 'POST', body: 'x'.repeat(100_000) }), /fetch failed/);
	assert.equal(seen.length, 1, 'the destination got the whole request');
	assert.equal(seen[0].bytes, 100_000);
	assert.equal(proxy.counters.dropped, 1);
	assert.equal(proxy.entries[0].outcome, '201, answer dropped');
});

test('delay(ms) answers late, after the destination has answered', async (t) => {
	const { proxy } = await withProxy(t);
	proxy.rule({ path: /^\/slow/, action: delay(400) });
	const started = Date.now();
	const res = await send(proxy, '/slow');
	assert.equal(res.status, 201);
	await res.text();
	const elapsed = Date.now() - started;
	assert.ok(elapsed >= 390, `answered after ${elapsed} ms`);
	assert.ok(seen[0].at - started < 300, 'the destination got it at once');
	const fast = Date.now();
	await (await send(proxy, '/fast')).text();
	assert.ok(Date.now() - fast < 300);
});

test('rules: method and path, after, every, times, forMs bursts, seeded probability, first rule that fires wins', async (t) => {
	const { proxy } = await withProxy(t);
	const writes = proxy.rule({ name: 'writes', method: ['POST', 'PATCH'], path: /^\/items\//, after: 2, every: 3, times: 2, action: status(500) });
	const codes = [];
	for (let i = 0; i < 12; i++) codes.push((await send(proxy, '/items/a', { method: i % 2 ? 'PATCH' : 'POST', body: '{}' })).status);
	// matches 1,2 pass (after: 2); then every 3rd: match 5 and 8 fire, then times is spent.
	assert.deepEqual(codes, [201, 201, 201, 201, 500, 201, 201, 500, 201, 201, 201, 201]);
	assert.equal((await send(proxy, '/items/a')).status, 201, 'GET is not a write');
	assert.equal(writes.matched, 12);
	assert.equal(writes.fired, 2);

	proxy.reset();
	const burst = proxy.rule({ name: 'burst', method: 'POST', after: 1, forMs: 300, action: status(503) });
	const timeline = [];
	const started = Date.now();
	while (Date.now() - started < 700) {
		timeline.push((await send(proxy, '/x', { method: 'POST', body: '' })).status);
		await new Promise((r) => setTimeout(r, 50));
	}
	assert.equal(timeline[0], 201);
	assert.equal(timeline[1], 503);
	assert.ok(timeline.at(-1) === 201, 'the burst ended');
	const firstPass = timeline.indexOf(201, 1);
	assert.ok(timeline.slice(1, firstPass).every((c) => c === 503) && timeline.slice(firstPass).every((c) => c === 201), timeline.join(','));
	assert.ok(burst.lastFiredAt - burst.firstFiredAt < 300);

	// Two proxies with the same seed fire on the same requests.
	const pattern = async (seed) => {
		const { proxy: p } = await withProxy(t, { seed });
		p.rule({ probability: 0.5, action: status(503) });
		const out = [];
		for (let i = 0; i < 20; i++) out.push((await send(p, '/p')).status === 503 ? 1 : 0);
		return out.join('');
	};
	const [a, b, c] = [await pattern(7), await pattern(7), await pattern(8)];
	assert.equal(a, b);
	assert.notEqual(a, c);
	assert.ok(a.includes('1') && a.includes('0'));

	proxy.reset();
	proxy.rule({ name: 'first', path: /^\/both$/, times: 1, action: status(429) });
	proxy.rule({ name: 'second', path: /^\/both$/, action: status(503) });
	assert.equal((await send(proxy, '/both')).status, 429);
	assert.equal((await send(proxy, '/both')).status, 503);
	proxy.rule({ name: 'never reached', path: /^\/other$/, action: pass() });
	assert.equal((await send(proxy, '/other')).status, 201);
});

test('a rule can match on the start of the body (the bulk receiver names the collection there)', async (t) => {
	const { proxy } = await withProxy(t, { maxPeekBytes: 1024 });
	proxy.rule({ method: 'POST', path: /^\/migration\/receive\/rows$/, body: /^\{[^\n]*"collection":"articles"/, action: status(503) });
	const batch = (collection) => `${JSON.stringify({ wire: 1, mode: 'create', collection, primaryKey: 'id', columns: ['id'] })}\n${'[1]\n'.repeat(5000)}`;
	assert.equal((await send(proxy, '/migration/receive/rows', { method: 'POST', body: batch('articles') })).status, 503);
	const res = await send(proxy, '/migration/receive/rows', { method: 'POST', body: batch('tags') });
	assert.equal(res.status, 201);
	assert.equal((await res.json()).data.bytes, batch('tags').length, 'the peeked part is replayed');
});

test('before() is awaited before the action; a destination that is down gets the client a 502', async (t) => {
	const { proxy } = await withProxy(t);
	const down = await startFaultProxy('http://127.0.0.1:9');
	t.after(() => down.close());
	const order = [];
	proxy.rule({ times: 1, before: async () => {
		await new Promise((r) => setTimeout(r, 100));
		order.push('before');
	}, action: pass() });
	await (await send(proxy, '/hooked')).text();
	order.push('answered');
	assert.deepEqual(order, ['before', 'answered']);
	const res = await send(down, '/items/x', { method: 'POST', body: '[]' });
	assert.equal(res.status, 502);
	assert.equal((await res.json()).errors[0].extensions.code, 'BAD_GATEWAY');
	assert.equal(down.counters.upstreamErrors, 1);
});

test('the Authorization header and access tokens never reach the log, the entries or the summary', async (t) => {
	const { proxy, lines } = await withProxy(t);
	proxy.rule({ action: status(503) });
	await send(proxy, '/items/x?access_token=s3cret-token-never-logged&fields=id');
	const everything = [...lines, JSON.stringify(proxy.entries), JSON.stringify(proxy.counters), proxy.summary()].join('\n');
	assert.ok(lines.length > 0);
	assert.ok(!everything.includes('s3cret'), everything);
	assert.match(proxy.entries[0].path, /access_token=\[redacted\]&fields=id/);
});

test('bounded: connections beyond maxConnections are dropped; close() ends open ones', async (t) => {
	const { proxy } = await withProxy(t, { maxConnections: 2 });
	proxy.rule({ path: /^\/hold$/, action: delay(500) });
	const open = (path) => new Promise((resolve) => {
		const req = httpRequest(`${proxy.url}${path}`, { agent: false }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode));
		});
		req.on('error', (error) => resolve(error.code));
		req.end();
	});
	const held = [open('/hold'), open('/hold')];
	await new Promise((r) => setTimeout(r, 100));
	const third = await open('/third');
	assert.match(String(third), /ECONNRESET|EPIPE|socket hang up/);
	assert.equal(proxy.counters.connectionsRefused, 1);
	assert.deepEqual(await Promise.all(held), [201, 201]);

	// A keep-alive connection left open does not keep close() waiting.
	const keepAlive = await fetch(`${proxy.url}/idle`, { headers: { Connection: 'keep-alive' } });
	await keepAlive.text();
	const started = Date.now();
	await proxy.close();
	assert.ok(Date.now() - started < 1000);
});
