// Jobs shared by every Directus process of an instance (issue 22): two processes on one database
// (SQLite and PostgreSQL); a run started on A with a callback is seen and cancelled from B; a
// second run to the same destination from B gets 409; A killed with SIGKILL mid-run → B takes the
// job over and runs it on from its checkpoint, every row lands exactly once and one final
// callback arrives; A, restarted alone, takes over a job it was running and lists the history.
// (B is stopped for the last test and not started again.)
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { client } from '../../scripts/lib/api.mjs';
import { kill9, restart, startDirectus, startReplica, VERSIONS } from '../../scripts/lib/directus.mjs';
import { DATABASES } from '../../scripts/lib/databases.mjs';
import { createSampleSchema } from '../../scripts/lib/sample-schema.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { delay, startFaultProxy } from './fault-proxy.mjs';
import { migrationCall } from './support.mjs';

const TABLES = ['articles', 'authors', 'categories'];
const SCOPE = { selectedTables: TABLES, transport: 'rest', batchSize: 10, concurrency: 1 };

/** A local server that records the callbacks it receives. */
async function callbackReceiver() {
	const received = [];
	const server = createServer((req, res) => {
		let body = '';
		req.on('data', (chunk) => (body += chunk));
		req.on('end', () => {
			received.push({ path: req.url, body: JSON.parse(body) });
			res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${server.address().port}`,
		/** The callbacks to `path`. */
		to: (path) => received.filter((call) => call.path === path),
		close: () => new Promise((resolve) => server.close(resolve)),
	};
}

async function until(what, check, timeout = 90_000) {
	const deadline = Date.now() + timeout;
	for (;;) {
		const value = await check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

const job = async (instance, id) => (await client(instance.url, instance.token).request('GET', `/migration/jobs/${id}`)).body;
const counts = async (instance) =>
	Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, (await client(instance.url, instance.token).get(`/items/${t}?aggregate[count]=*`))[0].count])));

for (const db of DATABASES.filter((vendor) => vendor !== 'mysql')) {
	for (const version of VERSIONS) {
		describe(`jobs across two processes, Directus ${version} on ${db}`, () => {
			let a, b, destination, hooks, proxy, slow, cancelledId;

			before(async () => {
				[a, destination] = await Promise.all([startDirectus({ version, name: 'source', db }), startDirectus({ version, name: 'destination', db })]);
				await createSampleSchema(a);
				await seedSampleData(a, { articles: 300 });
				b = await startReplica(a);
				hooks = await callbackReceiver();
				assert.equal((await migrationCall(a, 'schema-sync', { baseURL: destination.url, token: destination.token })).status, 200);
				// A slow destination (every write 400 ms late) keeps a run going long enough.
				proxy = await startFaultProxy(destination.url);
				proxy.rule({ method: 'POST', path: /^\/items\//, action: delay(400) });
				slow = { baseURL: proxy.url, token: destination.token };
			});
			after(async () => {
				await proxy?.close();
				await hooks?.close();
				await Promise.all([a?.stop(), b?.stop(), destination?.stop()]);
			});

			test('a run started on A is seen and cancelled from B; B gets 409 for the same destination', async () => {
				const started = await migrationCall(a, 'run', { ...slow, scope: SCOPE, callbackUrl: `${hooks.url}/cancelled` });
				assert.equal(started.status, 202, started.text);
				const { processId } = started.body;
				cancelledId = processId;
				const seen = await until('B to see rows moving', async () => {
					const detail = await job(b, processId);
					return detail.rows?.created > 0 && detail;
				});
				assert.equal(seen.status, 'running');
				const listed = (await client(b.url, b.token).request('GET', '/migration/jobs')).body;
				assert.ok(listed.some((j) => j.processId === processId && j.status === 'running'), 'B lists it');
				const second = await migrationCall(b, 'run', { ...slow, scope: SCOPE });
				assert.equal(second.status, 409, second.text);
				assert.equal((second.body.code ?? second.body.errors?.[0]?.extensions?.code), 'JOB_RUNNING');
				assert.equal(second.body.processId, processId);

				const cancel = await client(b.url, b.token).request('POST', `/migration/jobs/${processId}/cancel`);
				assert.equal(cancel.status, 202, cancel.text);
				assert.equal(cancel.body.status, 'cancelling');
				const ended = await until('the cancel to reach A', async () => {
					const detail = await job(a, processId);
					return detail.status !== 'running' && detail;
				});
				assert.equal(ended.status, 'cancelled');
				assert.equal((await job(b, processId)).status, 'cancelled');
				await until('the callback', () => hooks.to('/cancelled').length >= 1);
				assert.equal(hooks.to('/cancelled')[0].body.details.cancelled, true);
			});

			test('A killed mid-run: B takes the job over from its checkpoint, every row once, one callback; A restarted lists it', async () => {
				const started = await migrationCall(a, 'run', { ...slow, scope: SCOPE, callbackUrl: `${hooks.url}/killed` });
				assert.equal(started.status, 202, started.text);
				const { processId } = started.body;
				const before = (await until('rows to move', async () => {
					const detail = await job(b, processId);
					return detail.rows?.created >= 100 && detail;
				})).rows.created;
				await kill9(a);
				const killedAt = Date.now();
				const ended = await until('B to finish the job', async () => {
					const detail = await job(b, processId);
					return detail.status !== 'running' && detail;
				}, 180_000);
				assert.equal(ended.status, 'completed', JSON.stringify(ended.report?.error ?? ended.report?.message));
				assert.ok(ended.resumed >= 1, 'it was taken over');
				// From its checkpoint, not from the start: only the rows written after the last beat
				// are read again (and skipped), never the ${before} already there.
				const skipped = ended.report.tables.reduce((sum, t) => sum + t.skipped, 0);
				assert.ok(skipped < before, `${skipped} row(s) read again, of ${before} written before the kill`);
				console.log(`takeover and end ${Math.round((Date.now() - killedAt) / 1000)} s after the kill`);
				assert.deepEqual(await counts(destination), await counts(b), 'every row on the destination');
				await until('the callback', () => hooks.to('/killed').length >= 1);
				await new Promise((r) => setTimeout(r, 6_000));
				const calls = hooks.to('/killed');
				assert.equal(calls.length, 1, 'exactly one final callback');
				assert.equal(calls[0].body.status, 'completed');
				assert.ok(calls[0].body.resumed >= 1);

				await restart(a);
				const listed = (await client(a.url, a.token).request('GET', '/migration/jobs')).body;
				assert.ok(listed.some((j) => j.processId === processId && j.status === 'completed'), 'the restarted process lists it');
			});

			test('A restarted alone takes over the job it was running', async () => {
				await b.stop();
				// A second, empty destination, so that there is everything to move again.
				const other = await startDirectus({ version, name: 'destination-2', db });
				const otherProxy = await startFaultProxy(other.url);
				otherProxy.rule({ method: 'POST', path: /^\/items\//, action: delay(400) });
				try {
					assert.equal((await migrationCall(a, 'schema-sync', { baseURL: other.url, token: other.token })).status, 200);
					const started = await migrationCall(a, 'run', { baseURL: otherProxy.url, token: other.token, scope: SCOPE, callbackUrl: `${hooks.url}/alone` });
					assert.equal(started.status, 202, started.text);
					const { processId } = started.body;
					const before = (await until('rows to move', async () => {
						const detail = await job(a, processId);
						return detail.rows?.created >= 100 && detail;
					})).rows.created;
					await kill9(a);
					await restart(a);
					const ended = await until('A to finish the job', async () => {
						const detail = await job(a, processId);
						return detail.status !== 'running' && detail;
					}, 180_000);
					assert.equal(ended.status, 'completed', JSON.stringify(ended.report?.error ?? ended.report?.message));
					assert.ok(ended.resumed >= 1);
					const skipped = ended.report.tables.reduce((sum, t) => sum + t.skipped, 0);
					assert.ok(skipped < before, `${skipped} row(s) read again, of ${before} written before the kill`);
					assert.deepEqual(await counts(other), await counts(a));
					await until('the callback', () => hooks.to('/alone').length >= 1);
					await new Promise((r) => setTimeout(r, 6_000));
					assert.equal(hooks.to('/alone').length, 1, 'exactly one final callback');
				} finally {
					await otherProxy.close();
					await other.stop();
				}
			});

			test('POST /migration/jobs/:id/resume runs a cancelled job on to its end; a completed one is refused', async () => {
				const api = client(a.url, a.token);
				const resumed = await api.request('POST', `/migration/jobs/${cancelledId}/resume`);
				assert.equal(resumed.status, 202, resumed.text);
				assert.equal(resumed.body.status, 'resuming');
				const ended = await until('the resumed job to end', async () => {
					const detail = await job(a, cancelledId);
					return detail.status !== 'running' && detail;
				});
				assert.equal(ended.status, 'completed', JSON.stringify(ended.report?.error ?? ended.report?.message));
				assert.equal(ended.resumed, 1);
				assert.deepEqual(await counts(destination), await counts(a));
				await until('its callback', () => hooks.to('/cancelled').length >= 2);
				assert.equal(hooks.to('/cancelled')[1].body.status, 'completed');
				const again = await api.request('POST', `/migration/jobs/${cancelledId}/resume`);
				assert.equal(again.status, 409, again.text);
				assert.match(JSON.stringify(again.body), /completed/);
			});
		});
	}
}
