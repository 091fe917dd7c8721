// No input stops the host (issue 20): `scope.updatedAfter` values that RFC 3339 accepts but that
// leave the calendar once in UTC (the offset pushes them past year 9999 or before year 0), a year
// past 9999 and a leap second are refused with a 400 naming the field on every route that takes
// a scope, and the source process that read them is the same one, still answering.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { VERSIONS } from '../../scripts/lib/directus.mjs';
import { startSamplePair } from './support.mjs';

const ROUTES = ['dry-run', 'run', 'verify', 'check', 'tables', 'schema-sync'];
const INSTANTS = ['9999-12-31T23:59:59-23:59', '0000-01-01T00:00:00+23:59', '10000-01-01T00:00:00Z', '2016-12-31T23:59:60Z'];

for (const version of VERSIONS) {
	describe(`hostile instants on Directus ${version}`, () => {
		let pair, source, target, pid;

		before(async () => {
			({ pair, source, target } = await startSamplePair(version));
			pid = source.pid;
		});
		after(() => pair?.stop());

		const post = (route, body) =>
			fetch(`${source.url}/migration/${route}`, {
				method: 'POST',
				headers: { Authorization: `Bearer ${source.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
				body: JSON.stringify(body),
			}).then(async (res) => ({ status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() }));

		test('every route answers 400 naming scope.updatedAfter, and the source process lives on', async () => {
			for (const updatedAfter of INSTANTS) {
				for (const route of ROUTES) {
					const res = await post(route, { ...target, scope: { selectedTables: ['tags'], updatedAfter } });
					const what = `${route} ${updatedAfter}: HTTP ${res.status} ${res.text.slice(0, 300)}`;
					assert.equal(res.status, 400, what);
					assert.match(res.type, /application\/json/, what);
					const body = JSON.parse(res.text);
					assert.equal(body.code, 'INVALID_PAYLOAD', what);
					assert.match(body.message, /scope\.updatedAfter/, what);
				}
			}
			const ping = await fetch(`${source.url}/server/ping`);
			assert.equal(await ping.text(), 'pong');
			assert.equal(source.pid, pid, 'the same process');
			assert.doesNotThrow(() => process.kill(pid, 0), 'the source process is alive');
		});
	});
}
