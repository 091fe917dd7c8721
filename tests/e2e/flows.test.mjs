// The Flow recipe of the README, for real: Flows created through the REST API on the source run
// the migration with "Request URL" operations (test → check → a condition on the check's status →
// tables → schema-sync → run with a callbackUrl), and a second Flow with a webhook trigger records
// the callback in a collection. The test triggers the first Flow, waits for the second Flow's
// record, and checks it against the run and the destination. A second case makes the run fail.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, VERSIONS, startDirectus } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { createSampleSchema } from '../../scripts/lib/sample-schema.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { startFaultProxy, status } from './fault-proxy.mjs';

/** The callback log the second Flow writes to. */
async function createLogCollection(api) {
	await api.post('/collections', {
		collection: 'migration_log',
		meta: { icon: 'receipt_long' },
		schema: {},
		fields: [
			{ field: 'id', type: 'integer', schema: { is_primary_key: true, has_auto_increment: true }, meta: { hidden: true } },
			{ field: 'process_id', type: 'string', schema: {}, meta: {} },
			{ field: 'status', type: 'string', schema: {}, meta: {} },
			{ field: 'payload', type: 'json', schema: {}, meta: { special: ['cast-json'] } },
		],
	});
}

/** Flow 2: a webhook (POST) that records what it receives. Answers its trigger URL. */
async function createCallbackFlow(api, source) {
	const flow = await api.post('/flows', {
		name: 'Migration callback',
		icon: 'call_received',
		status: 'active',
		trigger: 'webhook',
		accountability: 'all',
		options: { method: 'POST', async: false },
	});
	const record = await api.post('/operations', {
		flow: flow.id,
		name: 'Record the callback',
		key: 'record',
		type: 'item-create',
		position_x: 19,
		position_y: 1,
		options: {
			collection: 'migration_log',
			permissions: '$full',
			emitEvents: false,
			payload: { process_id: '{{$trigger.body.processId}}', status: '{{$trigger.body.status}}', payload: '{{$trigger.body}}' },
		},
	});
	await api.patch(`/flows/${flow.id}`, { operation: record.id });
	return `${source.url.replace(/\/$/, '')}/flows/trigger/${flow.id}`;
}

/** Flow 1: Request URL operations, chained as the README's recipe. Answers its id. */
async function createMigrationFlow(api, { name, destinationUrl, destinationToken, tables, callbackUrl, transport = 'auto' }) {
	const flow = await api.post('/flows', {
		name,
		icon: 'move_down',
		status: 'active',
		trigger: 'webhook',
		accountability: 'all',
		options: { method: 'POST', async: false },
	});
	const auth = [{ header: 'Authorization', value: 'Bearer {{$env.ADMIN_TOKEN}}' }];
	const target = { baseURL: destinationUrl, token: destinationToken };
	const request = (key, method, route, body) => ({
		flow: flow.id,
		name: key,
		key,
		type: 'request',
		position_x: 19,
		position_y: 1,
		options: { method, url: `{{$env.PUBLIC_URL}}/migration/${route}`, headers: method === 'GET' ? [] : auth, body: body ? JSON.stringify(body) : undefined },
	});
	// Created last to first, so each one can name the next.
	const run = await api.post('/operations', request('run', 'POST', 'run', { ...target, scope: { selectedTables: tables, transport }, callbackUrl }));
	const sync = await api.post('/operations', { ...request('sync', 'POST', 'schema-sync', target), resolve: run.id });
	const listed = await api.post('/operations', { ...request('tables', 'POST', 'tables', target), resolve: sync.id });
	const condition = await api.post('/operations', {
		flow: flow.id,
		name: 'compatible',
		key: 'compatible',
		type: 'condition',
		position_x: 19,
		position_y: 1,
		options: { filter: { check: { status: { _eq: 200 } } } },
		resolve: listed.id,
	});
	const check = await api.post('/operations', { ...request('check', 'POST', 'check', { ...target, scope: {} }), resolve: condition.id });
	const ping = await api.post('/operations', { ...request('test', 'GET', 'test'), resolve: check.id });
	await api.patch(`/flows/${flow.id}`, { operation: ping.id });
	return flow.id;
}

async function waitForLog(api, processId, timeout = 120_000) {
	const deadline = Date.now() + timeout;
	for (;;) {
		const rows = await api.get(`/items/migration_log?filter[process_id][_eq]=${processId}`);
		if (rows.length > 0) return rows[0];
		if (Date.now() > deadline) throw new Error(`no callback recorded for ${processId}`);
		await new Promise((r) => setTimeout(r, 500));
	}
}

for (const version of VERSIONS) {
	describe(`the Flow recipe on Directus ${version}`, () => {
		let source, destination, api, callbackUrl;

		before(async () => {
			destination = await startDirectus({ version, name: 'destination' });
			// What the recipe asks of the source's environment: Flows may call the instance itself
			// (and the extension may send the callback to its own webhook: IMPORT_IP_DENY_LIST without
			// 0.0.0.0, the metadata address still denied), and read PUBLIC_URL and ADMIN_TOKEN.
			source = await startDirectus({
				version,
				name: 'source',
				env: { IMPORT_IP_DENY_LIST: '169.254.169.254', ADMIN_TOKEN: ADMIN.token, FLOWS_ENV_ALLOW_LIST: 'PUBLIC_URL,ADMIN_TOKEN' },
			});
			api = client(source.url, source.token);
			await createSampleSchema(source);
			await seedSampleData(source, { articles: 60 });
			await createLogCollection(api);
			callbackUrl = await createCallbackFlow(api, source);
		});
		after(() => Promise.all([source?.stop(), destination?.stop()]));

		test('a Flow migrates with a callback, and a second Flow records the outcome', async () => {
			const flow = await createMigrationFlow(api, {
				name: 'Migration workflow',
				destinationUrl: destination.url,
				destinationToken: destination.token,
				tables: ['tags', 'languages', 'categories'],
				callbackUrl,
			});
			const triggered = await api.request('POST', `/flows/trigger/${flow}`, {});
			assert.equal(triggered.status, 200, triggered.text);
			// The last operation's answer is the run's 202.
			assert.equal(triggered.body.status, 202, JSON.stringify(triggered.body).slice(0, 500));
			const { processId } = triggered.body.data;
			assert.match(processId, /^migration_\d+_[a-z0-9]{12}$/);

			const log = await waitForLog(api, processId);
			assert.equal(log.status, 'completed');
			assert.equal(log.payload.processId, processId);
			assert.deepEqual(log.payload.details.selectedTables, ['tags', 'languages', 'categories']);
			assert.equal(log.payload.details.isDryRun, false);
			assert.equal(log.payload.details.rows.failed, 0);
			const counts = async (instance, collection) => (await client(instance.url, instance.token).get(`/items/${collection}?limit=-1`)).length;
			for (const collection of ['tags', 'languages', 'categories']) {
				assert.equal(await counts(destination, collection), await counts(source, collection), collection);
			}
			assert.ok(log.payload.details.rows.created >= (await counts(source, 'tags')), 'the rows moved in this run');
		});

		test('a run that fails calls back with status failed and the error', async () => {
			const failing = await startFaultProxy(destination.url);
			failing.rule({ method: 'POST', path: /^\/items\//, action: status(500) });
			try {
				const flow = await createMigrationFlow(api, {
					name: 'Migration workflow (failing destination)',
					destinationUrl: failing.url,
					destinationToken: destination.token,
					tables: ['authors'],
					callbackUrl,
					transport: 'rest',
				});
				const triggered = await api.request('POST', `/flows/trigger/${flow}`, {});
				assert.equal(triggered.status, 200, triggered.text);
				const { processId } = triggered.body.data;
				const log = await waitForLog(api, processId);
				assert.equal(log.status, 'failed');
				assert.equal(log.payload.details.rows.created, 0);
				assert.ok(log.payload.details.rows.failed > 0);
				assert.match(log.payload.details.error, /could not be migrated/);
				assert.equal(log.payload.details.failureCount, log.payload.details.rows.failed);
				assert.match(log.payload.details.failures[0].message, /INTERNAL_SERVER_ERROR/, 'the destination\'s own error');
			} finally {
				await failing.close();
			}
		});
	});
}
