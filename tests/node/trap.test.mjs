// A real trap of the WASM core, in a real Directus process (the source of a pair, the built
// bundle installed): trap-spy.mjs makes the core trap from inside its own `fetch` import while a
// background run is under way, through a path no request can reach in production. The
// process does not exit: the job ends as failed in GET /migration/jobs, its callback says so,
// the panic log names the trap, and the next call gets a fresh instance that answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startPair, VERSIONS } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { createSampleSchema } from '../../scripts/lib/sample-schema.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';

const spy = new URL('./trap-spy.mjs', import.meta.url).href;

/** A webhook that keeps what it is sent. */
async function hooks() {
	const received = [];
	const server = createServer((req, res) => {
		let text = '';
		req.on('data', (chunk) => (text += chunk));
		req.on('end', () => {
			received.push(JSON.parse(text));
			res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { url: `http://127.0.0.1:${server.address().port}/flows/trigger/1`, received, close: () => server.close() };
}

async function until(what, check, ms = 30_000) {
	for (const start = Date.now(); Date.now() - start < ms; await new Promise((r) => setTimeout(r, 200))) {
		const value = await check();
		if (value) return value;
	}
	throw new Error(`timed out waiting for ${what}`);
}

for (const version of VERSIONS) test(`a trap of the core ends its job as failed and the process lives on (Directus ${version})`, async (t) => {
	const armFile = join(tmpdir(), `tm-trap-${randomBytes(6).toString('hex')}`);
	const pair = await startPair(version, { source: { env: { NODE_OPTIONS: `--import=${spy}`, TM_TRAP_FILE: armFile } } });
	const hook = await hooks();
	t.after(async () => {
		hook.close();
		await pair.stop();
	});
	const { source, destination } = pair;
	await createSampleSchema(source);
	await seedSampleData(source, { articles: 20 });
	const api = client(source.url, source.token);
	const pid = source.pid;

	const target = { baseURL: destination.url, token: destination.token, scope: { selectedTables: ['tags'] } };
	const synced = await api.request('POST', '/migration/schema-sync', target, { Accept: 'application/json' });
	assert.equal(synced.status, 200, synced.text);

	writeFileSync(armFile, '');
	const body = { ...target, callbackUrl: hook.url };
	const started = await api.request('POST', '/migration/run', body);
	assert.equal(started.status, 202, started.text);
	const { processId } = started.body;

	const [callback] = await until('the callback', () => hook.received.length > 0 && hook.received).catch((e) => { console.log(source.log().split('\n').filter((l) => /table-migration|trap|WASM/.test(l)).slice(-40).join('\n')); throw e; });
	assert.equal(callback.processId, processId);
	assert.equal(callback.status, 'failed');
	assert.match(callback.details.error, /core crashed/);
	assert.ok(!JSON.stringify(callback).includes(destination.token), 'no token in the callback');

	const jobs = await api.request('GET', '/migration/jobs');
	assert.equal(jobs.status, 200, jobs.text);
	const job = jobs.body.find((j) => j.processId === processId);
	assert.equal(job?.status, 'failed', JSON.stringify(jobs.body));
	const detail = await api.request('GET', `/migration/jobs/${processId}`);
	assert.equal(detail.body.callback?.delivered, true, detail.text);

	assert.equal(source.pid, pid, 'the same process');
	assert.doesNotThrow(() => process.kill(pid, 0), 'the source process is alive');
	assert.equal(await (await fetch(`${source.url}/server/ping`)).text(), 'pong');
	const again = await api.request('POST', '/migration/run', { ...body, callbackUrl: undefined }, { Accept: 'application/json' });
	assert.equal(again.status, 200, again.text);
	assert.equal(again.body.status, 'completed', 'a fresh instance runs the next request');

	const log = source.log();
	assert.match(log, /the WASM core trapped \(unreachable/);
	assert.ok(!log.includes(destination.token), 'no token in the log');
});
