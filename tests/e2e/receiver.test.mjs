// The bulk receiver on its own: admin only, refuses malformed or unfitting batches with a 400 and
// writes nothing from them, skips keys it has, and reports rows its database refuses.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startDirectus } from '../../scripts/lib/directus.mjs';
import { VENDOR_NAMES } from '../../scripts/lib/databases.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { createEditor } from '../../scripts/lib/instance-setup.mjs';
import { createSampleSchema } from '../../scripts/lib/sample-schema.mjs';
import { MATRIX } from './support.mjs';

/** Each database's own words for a unique violation of tags.name. */
const UNIQUE_VIOLATION = {
	sqlite: /UNIQUE constraint failed: tags\.name/,
	postgres: /duplicate key value violates unique constraint "tags_name_unique"/,
	mysql: /Duplicate entry 'one' for key 'tags_name_unique'/,
};

/**
 * Start a batch whose body never finishes: the headers and a first line sent, then a byte every
 * 200 ms. Returns a function that cuts the connection.
 */
function trickle(instance) {
	const body = `${header()}\n[9000,"slow"]\n`;
	const req = request(`${instance.url}/migration/receive/rows`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${instance.token}`, 'Content-Type': 'application/x-ndjson', 'Content-Length': body.length + 10_000 },
	});
	req.on('error', () => {});
	req.write(body);
	const timer = setInterval(() => req.write(' '), 200);
	return () => {
		clearInterval(timer);
		req.destroy();
	};
}

const header = (extra = {}) => JSON.stringify({ wire: 1, mode: 'create', collection: 'tags', primaryKey: 'id', columns: ['id', 'name'], ...extra });

for (const { db, version, label } of MATRIX) {
	describe(`bulk receiver on ${label}`, () => {
		let instance, editor;
		const send = (body, { token = instance.token, type = 'application/x-ndjson' } = {}) =>
			fetch(`${instance.url}/migration/receive/rows`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': type }, body }).then(async (res) => ({ status: res.status, body: await res.json() }));
		const tags = async () => (await client(instance.url, instance.token).get('/items/tags?limit=-1&sort=id')).map((t) => [t.id, t.name]);

		before(async () => {
			instance = await startDirectus({ version, db, name: 'receiver' });
			await createSampleSchema(instance);
			editor = await createEditor(instance);
			await client(instance.url, instance.token).post('/items/tags', [{ id: 1, name: 'one' }]);
		});
		after(() => instance?.stop());

		test('identifies itself to admins only', async () => {
			const info = await client(instance.url, instance.token).request('GET', '/migration/receive/info');
			assert.equal(info.status, 200);
			assert.deepEqual({ ...info.body, version: undefined }, { receiver: 'directus-extension-table-migration', version: undefined, wire: 1, vendor: VENDOR_NAMES[db], apiRows: true });
			for (const token of [editor.token, undefined]) {
				assert.equal((await client(instance.url, token).request('GET', '/migration/receive/info')).status, 403);
			}
			const refused = await send(`${header()}\n[2,"two"]\n`, { token: editor.token });
			assert.equal(refused.status, 403);
			assert.deepEqual(await tags(), [[1, 'one']]);
		});

		test('a malformed or unfitting batch gets 400 and writes nothing', async () => {
			const cases = [
				['', /header line is required/],
				[`${header({ wire: 9 })}\n[2,"two"]`, /wire format 9 is not supported/],
				[`${header({ rows: 'raw' })}\n[2,"two"]`, /header/],
				[`${header({ collection: 'no_such_table' })}\n[2,"two"]`, /does not exist on this instance/],
				[`${header({ collection: 'directus_users' })}\n[2,"two"]`, /Directus' own collections: the receiver writes none/],
				[`${header({ columns: ['id', 'name', 'secret'] })}\n[2,"two","x"]`, /tags has no column secret here/],
				[`${header()}\n[2,"two"]\n[3]`, /row 2 has 1 values for 2 columns/],
				[`${header()}\n[2,"two"]\nnot json`, /row 2 is not a JSON array/],
			];
			for (const [body, message] of cases) {
				const res = await send(body);
				assert.equal(res.status, 400, body.slice(0, 80));
				assert.match(res.body.message, message);
			}
			assert.equal((await send(`${header()}\n[2,"two"]`, { type: 'text/plain' })).status, 415);
			assert.deepEqual(await tags(), [[1, 'one']], 'nothing was written');
		});

		test('writes new rows, skips existing keys, and reports the rows its database refuses', async () => {
			const res = await send(`${header()}\n[1,"would overwrite"]\n[2,"two"]\n[3,"one"]\n[4,"four"]\n`);
			assert.equal(res.status, 200);
			assert.deepEqual(res.body.written, [2, 4]);
			assert.deepEqual(res.body.skipped, [1]);
			assert.equal(res.body.failed.length, 1);
			assert.equal(res.body.failed[0][0], 3);
			assert.match(res.body.failed[0][1], UNIQUE_VIOLATION[db]);
			assert.deepEqual(await tags(), [[1, 'one'], [2, 'two'], [4, 'four']]);
			const existing = await client(instance.url, instance.token).request('POST', '/migration/receive/existing', { collection: 'tags', primaryKey: 'id', keys: [1, 2, 3, 4, 5] });
			assert.deepEqual(existing.body.sort(), [1, 2, 4]);
		});

		test('reads rows by key as stored, for admins only, after the same checks as a batch', async () => {
			const read = (body, token = instance.token) => client(instance.url, token).request('POST', '/migration/receive/rows-by-key', body);
			const rows = await read({ collection: 'tags', primaryKey: 'id', columns: ['id', 'name'], keys: [1, 2, 999] });
			assert.equal(rows.status, 200);
			assert.deepEqual(rows.body.sort((a, b) => a.id - b.id), [{ id: 1, name: 'one' }, { id: 2, name: 'two' }]);
			assert.equal((await read({ collection: 'tags', primaryKey: 'id', columns: ['id'], keys: [1] }, editor.token)).status, 403);
			const cases = [
				[{ collection: 'tags', primaryKey: 'id', columns: ['id', 'secret'], keys: [1] }, /tags has no column secret here/],
				[{ collection: 'tags', primaryKey: 'id', columns: ['name'], keys: [1] }, /must include the primary key id/],
				[{ collection: 'directus_users', primaryKey: 'id', columns: ['id'], keys: [1] }, /Directus' own collections: the receiver writes none/],
				[{ collection: 'tags', primaryKey: 'name', columns: ['name'], keys: ['one'] }, /primary key of tags is id here/],
				[{ collection: 'tags', primaryKey: 'id', columns: ['id'], keys: 'all' }, /keys/],
			];
			for (const [body, message] of cases) {
				const res = await read(body);
				assert.equal(res.status, 400, JSON.stringify(body));
				assert.match(res.body.message, message);
			}
		});

		test('bodies still arriving hold no write slot: five slow uploads (the receiver has 4 slots) leave a real batch its answer', async () => {
			const cuts = [1, 2, 3, 4, 5].map(() => trickle(instance));
			try {
				// Give the receiver time to take each of them in (and, were it to, a slot for each).
				await new Promise((resolve) => setTimeout(resolve, 1500));
				const res = await send(`${header()}\n[600,"six hundred"]\n`);
				assert.equal(res.status, 200, JSON.stringify(res.body));
				assert.deepEqual(res.body.written, [600]);
			} finally {
				for (const cut of cuts) cut();
			}
			assert.ok(!(await tags()).some(([id]) => id === 9000), 'a body cut off writes nothing');
			assert.equal((await send(`${header()}\n[601,"after"]\n`)).status, 200, 'and the cut ones gave nothing back late');
		});

		test('the API and a new item see the rows at once, and new keys continue after them', async () => {
			await send(`${header()}\n[500,"five hundred"]\n`);
			const created = await client(instance.url, instance.token).post('/items/tags', { name: 'next' });
			assert.ok(created.id > 500, `a new row gets a key after the received ones (${created.id})`);
			assert.ok((await tags()).some(([id]) => id === 500));
		});
	});
}
