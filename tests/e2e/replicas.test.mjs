// Two Directus processes of one instance (same database, same SECRET and KEY): the harness the
// multi-process tests of the jobs build on (scripts/lib/directus.mjs: startReplica, kill9,
// restart). Both answer, each sees what the other wrote; one killed with SIGKILL leaves the other
// answering; restarted, it answers again and still shares the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client } from '../../scripts/lib/api.mjs';
import { kill9, restart, startDirectus, startReplica, VERSIONS } from '../../scripts/lib/directus.mjs';
import { DATABASES } from '../../scripts/lib/databases.mjs';

const ping = async (instance) => (await fetch(`${instance.url}/server/ping`)).status;

for (const db of DATABASES.filter((vendor) => vendor !== 'mysql')) {
	test(`Directus ${VERSIONS[0]} on ${db}: a replica on the same database, killed and restarted`, async () => {
		const source = await startDirectus({ version: VERSIONS[0], name: 'source', db });
		const replica = await startReplica(source);
		try {
			assert.notEqual(replica.url, source.url);
			assert.equal(replica.env.SECRET, source.env.SECRET);
			assert.deepEqual([await ping(source), await ping(replica)], [200, 200]);
			const [a, b] = [client(source.url, source.token), client(replica.url, replica.token)];
			await a.post('/collections', { collection: 'shared_items', schema: {}, meta: {}, fields: [{ field: 'id', type: 'integer', schema: { is_primary_key: true, has_auto_increment: true } }, { field: 'name', type: 'string' }] });
			// The replica caches nothing (CACHE_ENABLED false) but holds its own schema: it reads the
			// table once its schema is reloaded, which Directus does on a collection change it hears
			// of only through its own process; a restart of the replica makes it see it for sure.
			await restart(replica);
			await a.post('/items/shared_items', { name: 'from the source' });
			await b.post('/items/shared_items', { name: 'from the replica' });
			for (const side of [a, b]) assert.deepEqual((await side.get('/items/shared_items?sort=id')).map((r) => r.name), ['from the source', 'from the replica']);

			await kill9(source);
			assert.equal(source.running, false);
			assert.equal(await ping(replica), 200, 'the other process still answers');
			await restart(source);
			assert.equal(await ping(source), 200);
			assert.equal((await a.get('/items/shared_items')).length, 2);
		} finally {
			await replica.stop();
			await source.stop();
		}
	});
}
