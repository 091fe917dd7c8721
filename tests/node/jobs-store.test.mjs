// The jobs' store (js-shim/endpoint/host/jobs.js) on real databases, with the knex a Directus
// runtime ships: a SQLite file always, PostgreSQL and MariaDB when TM_DATABASES names them (their
// servers from scripts/lib/databases.mjs). The table is made once and again, by two "processes"
// at once, and brought up to date from an older one; rows come back with numbers and booleans as
// such; a lock or an id taken is `false`/0, a guard that does not match changes nothing; due,
// holding and list read what they say in the order they say; a prune never deletes a running job
// nor one whose callback is due. And a request's seal: round trip, another SECRET, altered.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE, VERSIONS } from '../../scripts/lib/directus.mjs';
import { DATABASES, databaseServer } from '../../scripts/lib/databases.mjs';
import { ensureJobsTable, jobSealing, jobStore, JOBS_TABLE } from '../../js-shim/endpoint/host/jobs.js';
import { JOB_COLUMNS } from '../../js-shim/endpoint/host/jobs-table.js';

const require = createRequire(join(CACHE, `directus-${VERSIONS[0]}`, 'node_modules/@directus/api/package.json'));
const knex = require('knex');
const cleanups = [];
after(async () => {
	for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A fresh empty database of `vendor`; `connect()` gives a knex on it (one per "process"). */
async function freshDatabase(vendor) {
	if (vendor === 'sqlite') {
		const dir = await mkdtemp(join(tmpdir(), 'tm-jobs-'));
		cleanups.push(() => rm(dir, { recursive: true, force: true }));
		const filename = join(dir, 'data.db');
		return { connect: () => track(knex({ client: 'sqlite3', connection: { filename }, useNullAsDefault: true, pool: { min: 0, max: 1 } })) };
	}
	const server = await databaseServer(vendor);
	const name = `jobs_${randomBytes(4).toString('hex')}`;
	await server.createDatabase(name);
	cleanups.push(() => server.dropDatabase(name).catch(() => {}));
	const client = vendor === 'postgres' ? 'pg' : 'mysql2';
	return { connect: () => track(knex({ client, connection: { ...server.connection, database: name }, pool: { min: 0, max: 2 } })) };
}

function track(database) {
	cleanups.push(() => database.destroy());
	return database;
}

const T0 = 1_760_000_000_000; // epoch ms past 2^32: a bigint everywhere

/** A JobRow as the table's columns (for writes that bypass the store). */
const columnsOf = (row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));

/** A complete JobRow with `fields` changed. */
function job(id, fields = {}) {
	return {
		id,
		kind: 'run',
		status: 'running',
		destination: 'https://destination.example',
		lockKey: null,
		owner: 'host:1:aaaaaaaa',
		leaseUntil: T0 + 30_000,
		startedBy: 'user-1',
		startedAt: T0,
		endedAt: null,
		updatedAt: T0,
		cancelRequested: false,
		resumed: 0,
		callbackDue: false,
		request: 'sealed-request',
		state: '{"progress":{}}',
		lines: '["line 1"]',
		...fields,
	};
}

for (const vendor of DATABASES) {
	test(`jobs store on ${vendor}: the table, made twice and by two processes at once, and from an older one`, async () => {
		const { connect } = await freshDatabase(vendor);
		const [a, b] = [connect(), connect()];
		const results = await Promise.all([ensureJobsTable(a), ensureJobsTable(b)]);
		assert.equal(results.filter((r) => r.created).length, 1, `exactly one of two processes made it: ${JSON.stringify(results)}`);
		assert.deepEqual(await ensureJobsTable(a), { created: false, added: [] }, 'a third time: nothing to do');
		assert.deepEqual(Object.keys(await a(JOBS_TABLE).columnInfo()).sort(), [...JOB_COLUMNS].sort());
		if (vendor === 'mysql') {
			const info = await a(JOBS_TABLE).columnInfo();
			for (const column of ['request', 'state', 'lines']) assert.equal(info[column].type, 'longtext', `${column} is LONGTEXT`);
		}

		// An older table: some columns missing, one row in it.
		await a.schema.dropTable(JOBS_TABLE);
		await a.schema.createTable(JOBS_TABLE, (t) => {
			t.string('id', 64).primary();
			t.string('kind', 16).notNullable();
			t.string('status', 32).notNullable();
			t.string('destination', 255).notNullable();
			t.string('lock_key', 255).nullable().unique();
			t.string('owner', 160).nullable();
			t.bigInteger('lease_until').notNullable().defaultTo(0);
			t.bigInteger('started_at').notNullable();
			t.bigInteger('ended_at').nullable();
			t.text('lines', 'longtext').notNullable();
		});
		await a(JOBS_TABLE).insert({ id: 'old', kind: 'run', status: 'completed', destination: 'https://d', lease_until: 0, started_at: T0, ended_at: T0 + 1, lines: '[]' });
		const migrated = await Promise.all([ensureJobsTable(a), ensureJobsTable(b)]);
		const added = ['started_by', 'updated_at', 'cancel_requested', 'resumed', 'callback_due', 'request', 'state'];
		assert.deepEqual([...new Set(migrated.flatMap((r) => r.added))].sort(), added.sort(), 'the missing columns were added (by one or the other)');
		assert.ok(migrated.every((r) => !r.created));
		assert.deepEqual(Object.keys(await a(JOBS_TABLE).columnInfo()).sort(), [...JOB_COLUMNS].sort());
		const old = await jobStore(a).jobGet('old', true);
		assert.deepEqual(old, {
			id: 'old', kind: 'run', status: 'completed', destination: 'https://d', lockKey: null, owner: null, leaseUntil: 0, startedBy: null,
			startedAt: T0, endedAt: T0 + 1, updatedAt: 0, cancelRequested: false, resumed: 0, callbackDue: false, request: null, state: '{}', lines: '[]',
		});
		// The migrated table takes a full row.
		assert.equal(await jobStore(a).jobInsert(job('new')), true);
	});

	test(`jobs store on ${vendor}: insert, locks, guarded updates, delete`, async () => {
		const { connect } = await freshDatabase(vendor);
		const database = connect();
		await ensureJobsTable(database);
		const store = jobStore(database);
		const lock = 'https://destination.example';

		assert.equal(await store.jobInsert(job('j1', { lockKey: lock })), true);
		assert.deepEqual(await store.jobGet('j1', true), job('j1', { lockKey: lock }), 'read back as written (numbers, booleans, texts)');
		assert.deepEqual(await store.jobGet('j1', false), { ...job('j1', { lockKey: lock }), lines: null }, 'without lines');
		assert.equal(await store.jobGet('nope', true), null);
		assert.equal(await store.jobInsert(job('j2', { lockKey: lock })), false, 'the destination is held');
		assert.equal(await store.jobInsert(job('j1')), false, 'the id is taken');
		assert.equal(await store.jobHolding(lock), 'j1');
		assert.equal(await store.jobHolding('https://other.example'), null);
		await assert.rejects(store.jobInsert({ ...job('j3'), kind: null }), (error) => !error.message.includes('sealed-request'), 'another database error rejects, in its own words (not the statement)');

		// Guards: owner (a value, or null), status, leaseUntil; only the keys present count.
		assert.equal(await store.jobUpdate('j1', { owner: 'someone-else' }, { leaseUntil: 1 }), 0);
		assert.equal(await store.jobUpdate('j1', { owner: null }, { leaseUntil: 1 }), 0, 'null guard: only a row without owner');
		assert.equal(await store.jobUpdate('j1', { status: 'completed' }, { leaseUntil: 1 }), 0);
		assert.equal(await store.jobUpdate('j1', { leaseUntil: T0 }, { leaseUntil: 1 }), 0, 'a lease other than the one seen');
		assert.equal(await store.jobUpdate('nope', {}, { leaseUntil: 1 }), 0);
		assert.equal((await store.jobGet('j1', false)).leaseUntil, T0 + 30_000, 'nothing changed');
		assert.equal(await store.jobUpdate('j1', { owner: 'host:1:aaaaaaaa', status: 'running', leaseUntil: T0 + 30_000 }, { leaseUntil: T0 + 60_000, cancelRequested: true, resumed: 2 }), 1);
		assert.equal(await store.jobUpdate('j1', { owner: 'host:1:aaaaaaaa' }, { leaseUntil: T0 + 60_000 }), 1, 'the same values again still count the row');
		assert.equal(await store.jobUpdate('j1', { owner: 'host:1:aaaaaaaa' }, {}), 1, 'nothing to set: the rows the guard lets through');
		const updated = await store.jobGet('j1', false);
		assert.deepEqual([updated.leaseUntil, updated.cancelRequested, updated.resumed], [T0 + 60_000, true, 2]);

		// A lock another job holds: 0, and nothing of the update is applied.
		assert.equal(await store.jobInsert(job('j2', { lockKey: 'https://second.example' })), true);
		assert.equal(await store.jobUpdate('j2', {}, { lockKey: lock, state: '{"changed":true}' }), 0);
		assert.equal((await store.jobGet('j2', false)).state, job('j2').state);
		// Ending j1 frees its lock; a takeover with a null owner guard.
		assert.equal(await store.jobUpdate('j1', { owner: 'host:1:aaaaaaaa' }, { status: 'completed', lockKey: null, owner: null, endedAt: T0 + 5, callbackDue: true }), 1);
		assert.equal(await store.jobHolding(lock), null);
		assert.equal(await store.jobUpdate('j2', {}, { lockKey: lock }), 1);
		assert.equal(await store.jobUpdate('j1', { owner: null }, { owner: 'host:2:bbbbbbbb' }), 1);
		assert.equal((await store.jobGet('j1', false)).callbackDue, true);
		await assert.rejects(store.jobUpdate('j1', {}, { notAField: 1 }), TypeError);

		// Texts of several MiB (LONGTEXT on MariaDB).
		const big = JSON.stringify(Array.from({ length: 60_000 }, (_, i) => `progress line ${i} ü日本 ${'x'.repeat(40)}`));
		assert.equal(await store.jobUpdate('j2', {}, { lines: big, state: big }), 1);
		const read = await store.jobGet('j2', true);
		assert.equal(read.lines.length, big.length);
		assert.ok(read.lines === big && read.state === big);

		assert.equal(await store.jobDelete('j2', 'someone-else'), 0);
		assert.equal(await store.jobDelete('j2', 'host:1:aaaaaaaa'), 1);
		assert.equal(await store.jobGet('j2', false), null);
	});

	test(`jobs store on ${vendor}: list, due and holding, in order; prune keeps running and callback-due jobs`, async () => {
		const { connect } = await freshDatabase(vendor);
		const database = connect();
		await ensureJobsTable(database);
		const store = jobStore(database);
		const now = T0 + 100_000;
		const rows = [
			job('a', { startedAt: T0 + 1, status: 'running', leaseUntil: now - 1 }), // due: lease expired
			job('b', { startedAt: T0 + 2, status: 'running', leaseUntil: now + 1 }), // lease held
			job('c', { startedAt: T0 + 2, status: 'completed', endedAt: T0 + 10, leaseUntil: now - 5, callbackDue: true }), // due: callback
			job('d', { startedAt: T0 + 3, status: 'failed', endedAt: T0 + 20, leaseUntil: now - 5 }), // ended, not due
			job('e', { startedAt: T0 + 4, status: 'cancelled', endedAt: T0 + 30, leaseUntil: now - 5, kind: 'dry-run' }),
			job('f', { startedAt: T0 + 5, status: 'completed with errors', endedAt: T0 + 40, leaseUntil: 0 }),
			job('g', { startedAt: T0 + 6, status: 'completed', endedAt: T0 + 40, leaseUntil: 0 }),
		];
		for (const row of rows) assert.equal(await store.jobInsert(row), true);

		const list = await store.jobList(100);
		assert.deepEqual(list.map((r) => r.id), ['g', 'f', 'e', 'd', 'c', 'b', 'a'], 'newest first, id desc on a tie');
		assert.ok(list.every((r) => r.lines === null && r.request === null), 'without lines and request');
		assert.deepEqual((await store.jobList(2)).map((r) => r.id), ['g', 'f']);
		assert.deepEqual(await store.jobList(0), []);

		const due = await store.jobDue(now);
		assert.deepEqual(due.map((r) => r.id), ['a', 'c'], 'expired running jobs and undelivered callbacks');
		assert.ok(due.every((r) => r.lines === null && r.request === 'sealed-request'), 'without lines, with the request');
		assert.deepEqual((await store.jobDue(now + 10)).map((r) => r.id), ['a', 'b', 'c']);

		// By time: ended before T0+25 → d only (c's callback is due, a and b run).
		assert.equal(await store.jobPrune(T0 + 25, 100), 1);
		assert.deepEqual((await store.jobList(100)).map((r) => r.id), ['g', 'f', 'e', 'c', 'b', 'a']);
		// By count: the newest 2 ended (g and f, a tie on ended_at broken by id) are kept; e goes, c stays.
		assert.equal(await store.jobPrune(0, 2), 1);
		assert.deepEqual((await store.jobList(100)).map((r) => r.id), ['g', 'f', 'c', 'b', 'a']);
		assert.equal(await store.jobPrune(0, 1), 1, 'g is kept, f goes');
		assert.deepEqual((await store.jobList(100)).map((r) => r.id), ['g', 'c', 'b', 'a']);
		// Everything that may go: running jobs and a due callback stay whatever the limits.
		assert.equal(await store.jobPrune(Number.MAX_SAFE_INTEGER, 0), 1);
		assert.deepEqual((await store.jobList(100)).map((r) => r.id), ['c', 'b', 'a']);
		assert.equal(await store.jobPrune(Number.MAX_SAFE_INTEGER, 0), 0);
		await assert.rejects(store.jobList(-1), TypeError);
	});
}

test('jobs store on SQLite: two processes writing at once on one file (SQLITE_BUSY is waited out)', async () => {
	const { connect } = await freshDatabase('sqlite');
	const [a, b] = [connect(), connect()];
	await ensureJobsTable(a);
	const [one, two] = [jobStore(a), jobStore(b)];
	const writes = [];
	for (let i = 0; i < 40; i += 1) {
		writes.push(one.jobInsert(job(`one-${i}`, { lockKey: `lock-${i}` })));
		writes.push(two.jobInsert(job(`two-${i}`, { lockKey: `lock-${i}` })));
	}
	const inserted = await Promise.all(writes);
	assert.equal(inserted.filter(Boolean).length, 40, 'each lock taken exactly once');
	const ids = writes.map((_, k) => (k % 2 === 0 ? `one-${k >> 1}` : `two-${k >> 1}`)).filter((_, k) => inserted[k]);
	const updates = ids.flatMap((id, i) => [one.jobUpdate(id, {}, { updatedAt: T0 + i }), two.jobUpdate(id, { status: 'running' }, { resumed: 1 })]);
	assert.equal((await Promise.all(updates)).reduce((sum, n) => sum + n, 0), 80, 'every update by either process applied');
	const rows = await one.jobList(1000);
	assert.deepEqual(rows.map((r) => r.id).sort(), ids.sort());
	assert.ok(rows.every((r) => r.resumed === 1));

	// One process holds a write lock longer than the driver waits (node-sqlite3: 1 s, then
	// SQLITE_BUSY): the other's calls are tried again and succeed once it is released.
	let released = 0;
	const holding = a.transaction(async (trx) => {
		await trx(JOBS_TABLE).insert({ ...columnsOf(job('held')) });
		await new Promise((resolve) => setTimeout(resolve, 1500));
		released = Date.now();
	});
	await new Promise((resolve) => setTimeout(resolve, 100));
	assert.equal(await two.jobInsert(job('waited')), true);
	assert.equal(await two.jobUpdate('waited', {}, { resumed: 3 }), 1);
	assert.ok(released > 0 && Date.now() >= released, 'it waited for the lock');
	await holding;
	assert.deepEqual((await one.jobList(1000)).filter((r) => r.id === 'held' || r.id === 'waited').map((r) => r.id).sort(), ['held', 'waited']);
});

test('a job request sealed under SECRET: round trip; another SECRET, an altered text, no SECRET', async () => {
	const secret = randomBytes(32).toString('hex');
	const seal = jobSealing(secret);
	const request = JSON.stringify({ destination: { baseURL: 'https://d.example', token: 'the-destination-token' }, collections: ['a'] });
	const sealed = await seal.sealText(request);
	assert.equal(typeof sealed, 'string');
	assert.match(sealed, /^[A-Za-z0-9+/]+=*$/, 'base64');
	assert.ok(!Buffer.from(sealed, 'base64').includes('the-destination-token') && !sealed.includes('the-destination-token'));
	assert.notEqual(await seal.sealText(request), sealed, 'a fresh salt and nonce each time');
	assert.equal(await seal.unsealText(sealed), request);
	assert.equal(await seal.unsealText(await seal.sealText('')), '');

	const unsealable = (error) => error.code === 'JOB_UNSEALABLE' && error instanceof Error && !error.message.includes(secret);
	await assert.rejects(jobSealing(randomBytes(32).toString('hex')).unsealText(sealed), unsealable, 'another SECRET');
	const bytes = Buffer.from(sealed, 'base64');
	for (const at of [0, 5, 30, bytes.length - 20, bytes.length - 1]) {
		const altered = Buffer.from(bytes);
		altered[at] ^= 1;
		await assert.rejects(seal.unsealText(altered.toString('base64')), unsealable, `byte ${at} altered`);
	}
	await assert.rejects(seal.unsealText(bytes.subarray(0, bytes.length - 1).toString('base64')), unsealable, 'cut short');
	await assert.rejects(seal.unsealText('not base64 at all!'), unsealable);
	await assert.rejects(seal.unsealText(''), unsealable);

	for (const missing of [undefined, '']) {
		assert.equal(await jobSealing(missing).sealText(request), null, 'without SECRET: nothing sealed');
		await assert.rejects(jobSealing(missing).unsealText(sealed), unsealable);
	}
});

test('a job request is sealed under its own key: an artifact key does not open it', async () => {
	const { openText, sealText } = await import('../../js-shim/endpoint/host/seal.js');
	const secret = randomBytes(32).toString('hex');
	const sealed = await jobSealing(secret).sealText('request');
	assert.equal(openText(secret, sealed, 'table-migration job request'), 'request');
	assert.equal(openText(secret, sealed, 'directus-extension-table-migration artifact v1'), null);
	assert.equal(await jobSealing(secret).unsealText(sealText(secret, 'request', 'another label')).catch((e) => e.code), 'JOB_UNSEALABLE');
});
