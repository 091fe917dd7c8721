// Background runs and jobs on real instances: every run is a job with a process id; a run with a
// callbackUrl answers 202 and POSTs its outcome (signed) when it ends; jobs are listed, followed,
// and cancelled; one destination takes one running job; a JSON answer tells the outcome by its
// status; a streamed run is never silent for 15 s; a client that goes away leaves the run going.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { VERSIONS, startPair } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { createSampleSchema } from '../../scripts/lib/sample-schema.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { delay, startFaultProxy } from './fault-proxy.mjs';
import { migrationCall } from './support.mjs';

const SECRET = 'callback-secret-for-tests';
const PROCESS_ID = /^migration_\d{13}_[a-z0-9]{12}$/;

/** A local server that records the callbacks it receives. */
async function callbackReceiver() {
	const received = [];
	const waiting = [];
	const server = createServer((req, res) => {
		let body = '';
		req.on('data', (chunk) => (body += chunk));
		req.on('end', () => {
			const call = { path: req.url, headers: req.headers, text: body, body: JSON.parse(body) };
			received.push(call);
			waiting.splice(0).forEach((resolve) => resolve());
			res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${server.address().port}`,
		received,
		async next(count, timeout = 60_000) {
			const deadline = Date.now() + timeout;
			while (received.length < count) {
				if (Date.now() > deadline) throw new Error(`no callback within ${timeout} ms`);
				await new Promise((resolve) => {
					waiting.push(resolve);
					setTimeout(resolve, 500);
				});
			}
			return received[count - 1];
		},
		close: () => new Promise((resolve) => server.close(resolve)),
	};
}

async function waitForJob(source, processId, done = (job) => job.status !== 'running', timeout = 120_000) {
	const api = client(source.url, source.token);
	const deadline = Date.now() + timeout;
	for (;;) {
		const res = await api.request('GET', `/migration/jobs/${processId}`);
		assert.equal(res.status, 200, res.text);
		if (done(res.body)) return res.body;
		if (Date.now() > deadline) throw new Error(`job ${processId} still ${res.body.status}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

for (const version of VERSIONS) {
	describe(`jobs on Directus ${version}`, () => {
		let pair, source, destination, target, hooks;

		before(async () => {
			pair = await startPair(version, { source: { env: { MIGRATION_CALLBACK_SECRET: SECRET } } });
			({ source, destination } = pair);
			target = { baseURL: destination.url, token: destination.token };
			hooks = await callbackReceiver();
			await createSampleSchema(source);
			await seedSampleData(source, { articles: 400 });
			assert.equal((await migrationCall(source, 'schema-sync', target)).status, 200);
		});
		after(async () => {
			await hooks?.close();
			await pair?.stop();
		});

		test('a streamed run names its job first, keeps it, and replays it', async () => {
			const res = await migrationCall(source, 'dry-run', { ...target, scope: { selectedTables: ['tags', 'languages'] } }, { accept: 'application/x-ndjson' });
			assert.equal(res.status, 200);
			const first = JSON.parse(res.lines[0]);
			assert.equal(first.type, 'job');
			assert.match(first.processId, PROCESS_ID);
			assert.equal(res.headers.get('x-migration-process-id'), first.processId);
			const summary = JSON.parse(res.lines.at(-1));
			assert.equal(summary.type, 'summary');
			assert.equal(summary.processId, first.processId);
			assert.equal(res.lines.filter((l) => JSON.parse(l).type === 'summary').length, 1, 'one summary');

			const api = client(source.url, source.token);
			const list = await api.request('GET', '/migration/jobs');
			assert.equal(list.status, 200);
			const listed = list.body.find((j) => j.processId === first.processId);
			assert.equal(listed.status, 'completed');
			assert.equal(listed.kind, 'dry-run');
			const job = await waitForJob(source, first.processId);
			assert.equal(job.report.status, 'completed');
			assert.ok(job.tables.some((t) => t.collection === 'tags'));

			const events = await api.request('GET', `/migration/jobs/${first.processId}/events`, undefined, { Accept: 'application/x-ndjson' });
			const replayed = events.text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
			assert.equal(replayed[0].type, 'job');
			assert.equal(replayed.at(-1).type, 'summary');
			assert.deepEqual(replayed.map((e) => e.type), res.lines.map((l) => JSON.parse(l).type), 'the same lines, in order');
		});

		test('with a callbackUrl: refusals are plain errors, then 202, then a signed callback', async () => {
			const refused = await migrationCall(source, 'run', { ...target, scope: { selectedTables: ['nope'] }, callbackUrl: `${hooks.url}/hook` });
			assert.equal(refused.status, 400);
			const badUrl = await migrationCall(source, 'run', { ...target, scope: { selectedTables: ['tags'] }, callbackUrl: 'http://user:pw@127.0.0.1/hook' });
			assert.equal(badUrl.status, 400);
			assert.match(badUrl.body.message, /callbackUrl is not valid: credentials/);

			const res = await migrationCall(source, 'run', { ...target, scope: { selectedTables: ['tags', 'languages'] }, callbackUrl: `${hooks.url}/flows/trigger/42` });
			assert.equal(res.status, 202, res.text);
			assert.deepEqual(Object.keys(res.body).sort(), ['message', 'processId', 'status', 'timestamp']);
			assert.equal(res.body.status, 'started');
			assert.equal(res.body.message, 'Migration started in background');
			assert.match(res.body.processId, PROCESS_ID);
			assert.ok(Math.abs(Date.parse(res.body.timestamp) - Date.now()) < 60_000);

			const call = await hooks.next(1);
			assert.equal(hooks.received.length, 1, 'no callback for the refused runs');
			assert.equal(call.path, '/flows/trigger/42');
			assert.equal(call.body.processId, res.body.processId);
			assert.equal(call.body.status, 'completed');
			assert.deepEqual(call.body.details.selectedTables, ['tags', 'languages']);
			assert.equal(call.body.details.isDryRun, false);
			assert.equal(call.body.details.rows.failed, 0);
			assert.ok(call.body.details.rows.created > 0);
			assert.equal(call.body.details.transport, 'bulk');
			assert.equal(call.headers.authorization, undefined, 'no token goes to a callback');
			const expected = `sha256=${createHmac('sha256', SECRET).update(call.text).digest('hex')}`;
			assert.equal(call.headers['x-migration-signature'], expected);
			const job = await waitForJob(source, res.body.processId);
			assert.equal(job.callback.delivered, true);
			assert.equal(job.callback.attempts, 1);
			const tags = await client(destination.url, destination.token).get('/items/tags?limit=-1');
			assert.equal(tags.length, (await client(source.url, source.token).get('/items/tags?limit=-1')).length);
		});

		test('Accept: application/json answers once, with the outcome in the status', async () => {
			const done = await client(source.url, source.token).request('POST', '/migration/dry-run', { ...target, scope: { selectedTables: ['tags'] } }, { Accept: 'application/json' });
			assert.equal(done.status, 200);
			assert.match(done.headers.get('content-type'), /application\/json/);
			assert.equal(done.body.status, 'completed');
			assert.match(done.body.processId, PROCESS_ID);

			const api = client(source.url, source.token);
			const [clash] = await api.post('/items/tags', [{ name: 'clash-for-the-json-answer' }]);
			await client(destination.url, destination.token).post('/items/tags', { id: 88_000, name: 'clash-for-the-json-answer' });
			const partly = await api.request('POST', '/migration/run', { ...target, scope: { selectedTables: ['tags'] } }, { Accept: 'application/json' });
			assert.equal(partly.status, 422);
			assert.equal(partly.body.status, 'completed with errors');
			assert.equal(partly.body.failures[0].key, clash.id);
		});

		test('one running job per destination; a cancelled job stops and says so; a hung-up client leaves it running', async () => {
			// A slow destination (every write a second late) keeps the run going long enough.
			const proxy = await startFaultProxy(destination.url);
			proxy.rule({ method: 'POST', path: /^\/items\//, action: delay(1000) });
			try {
				const slow = { baseURL: proxy.url, token: destination.token };
				const scope = { selectedTables: ['articles', 'authors', 'categories'], transport: 'rest', batchSize: 10, concurrency: 1 };
				const started = await migrationCall(source, 'run', { ...slow, scope, callbackUrl: `${hooks.url}/cancelled` });
				assert.equal(started.status, 202, started.text);
				const { processId } = started.body;

				const second = await migrationCall(source, 'run', { ...slow, scope });
				assert.equal(second.status, 409);
				assert.equal(second.body.code, 'JOB_RUNNING');
				assert.equal(second.body.processId, processId);
				assert.match(second.body.message, new RegExp(processId));

				const running = await waitForJob(source, processId, (job) => job.rows.created > 0);
				assert.equal(running.status, 'running');
				assert.ok(running.rowsPerSecond > 0);
				assert.ok(running.secondsLeft > 0);
				const cancel = await client(source.url, source.token).request('POST', `/migration/jobs/${processId}/cancel`);
				assert.equal(cancel.status, 202);
				assert.equal(cancel.body.status, 'cancelling');
				const cancelled = await waitForJob(source, processId);
				assert.equal(cancelled.status, 'cancelled');
				assert.equal(cancelled.report.status, 'cancelled');
				const call = await hooks.next(2);
				assert.equal(call.body.status, 'failed');
				assert.equal(call.body.details.cancelled, true);
				assert.ok(call.body.details.rows.created < 400 + 75, 'it stopped early');

				// A streamed run whose client hangs up goes on as a job.
				const controller = new AbortController();
				const res = await fetch(`${source.url}/migration/run`, {
					method: 'POST',
					headers: { Authorization: `Bearer ${source.token}`, 'Content-Type': 'application/json', Accept: 'application/x-ndjson' },
					body: JSON.stringify({ ...slow, scope }),
					signal: controller.signal,
				});
				const reader = res.body.getReader();
				const { value } = await reader.read();
				const job = JSON.parse(new TextDecoder().decode(value).split('\n')[0]);
				assert.equal(job.type, 'job');
				controller.abort();
				const later = await waitForJob(source, job.processId, (j) => j.rows.created > 5);
				assert.equal(later.status, 'running', 'still running after the client left');
				await client(source.url, source.token).request('POST', `/migration/jobs/${job.processId}/cancel`);
				assert.equal((await waitForJob(source, job.processId)).status, 'cancelled');
			} finally {
				await proxy.close();
			}
		});

		test('a streamed run is never silent for 15 s', async () => {
			const proxy = await startFaultProxy(destination.url);
			proxy.rule({ method: 'GET', path: /^\/items\/languages/, times: 1, action: delay(17_000) });
			try {
				const res = await migrationCall(source, 'dry-run', { baseURL: proxy.url, token: destination.token, scope: { selectedTables: ['languages'], transport: 'rest' } });
				assert.equal(res.status, 200);
				assert.ok(res.lines.some((l) => l.startsWith('Still working')), res.text);
				assert.match(res.lines.at(-1), /^Dry run completed/);
			} finally {
				await proxy.close();
			}
		});

		test('job routes refuse bad ids and unknown jobs, and are for admins only', async () => {
			const api = client(source.url, source.token);
			assert.equal((await api.request('GET', '/migration/jobs/not-an-id')).status, 400);
			const unknown = await api.request('GET', '/migration/jobs/migration_1_abcdefghijkl');
			assert.equal(unknown.status, 404);
			assert.equal(unknown.body.code, 'JOB_NOT_FOUND');
			assert.equal((await api.request('POST', '/migration/jobs/migration_1_abcdefghijkl/cancel')).status, 404);
			assert.equal((await client(source.url).request('GET', '/migration/jobs')).status, 403);
		});
	});
}
