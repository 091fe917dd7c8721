// The command line's own parts, in plain Node (no Directus): its arguments → the request body the
// endpoint would get, tokens from the environment only; the exit code of every kind of outcome;
// its job store in memory (the database store's guards and locks); its artifacts folder (streamed
// writes, never a file replaced, owner-only modes, nothing outside the folder). Against real
// instances: tests/e2e/cli.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine, UsageError, withFlags } from '../../js-shim/cli/args.js';
import { exitOf, exitOfAnswer } from '../../js-shim/cli/output.js';
import { memoryJobs } from '../../js-shim/cli/jobs.js';
import { localArtifacts } from '../../js-shim/cli/artifacts.js';

const ENV = { DIRECTUS_FROM_TOKEN: 'from-secret', DIRECTUS_TO_TOKEN: 'to-secret' };
const BASE = ['--from', 'https://cms.example', '--to', 'https://staging.example/'];

test('flags become the route\'s body: its scope options, the destination and its token from the environment', () => {
	const cli = parseCommandLine(['run', ...BASE, '--tables', 'articles, authors', '--batch-size', '250', '--mode', 'merge', '--verify', '--no-preserve-created', '--artifacts', 'out'], ENV);
	assert.equal(cli.command, 'run');
	assert.deepEqual(cli.from, { url: 'https://cms.example', token: 'from-secret' });
	assert.deepEqual(cli.body, {
		baseURL: 'https://staging.example',
		token: 'to-secret',
		scope: { selectedTables: ['articles', 'authors'], batchSize: 250, mode: 'merge', verify: true, preserveCreated: false, artifacts: true },
	});
	assert.equal(cli.artifacts, 'out');
	assert.deepEqual(parseCommandLine(['dry-run', ...BASE, '--all'], ENV).body.scope, { excludedTables: [], artifacts: false }, '--all: everything; no --artifacts: none');
	assert.deepEqual(parseCommandLine(['schema-sync', ...BASE, '--dry-run', '--mirror'], ENV).body, { baseURL: 'https://staging.example', token: 'to-secret', scope: { mirror: true }, dryRun: true });
	assert.deepEqual(parseCommandLine(['tables', '--from', 'https://cms.example'], { DIRECTUS_FROM_TOKEN: 'f' }).body, { scope: {} }, 'tables needs no destination');
	// A value the core refuses is passed on as given, for the core's own message.
	assert.equal(parseCommandLine(['run', ...BASE, '--batch-size', 'many'], ENV).body.scope.batchSize, 'many');
	assert.equal(parseCommandLine(['run', ...BASE, '--batch-size', '0'], ENV).body.scope.batchSize, 0);
	const named = parseCommandLine(['check', ...BASE, '--from-token-env', 'CMS', '--to-token-env', 'STAGING'], { CMS: ' a ', STAGING: 'b' });
	assert.deepEqual([named.from.token, named.body.token], ['a', 'b']);
});

test('bad command lines are refused before anything is sent (exit 2), and no token is ever read from a flag', () => {
	const refused = (argv, env = ENV) => assert.throws(() => parseCommandLine(argv, env), (error) => error instanceof UsageError && exitOf(error) === 2, argv.join(' '));
	refused([]);
	refused(['migrate', ...BASE]);
	refused(['run', ...BASE, '--token', 'x'], ENV);
	refused(['run', ...BASE, '--to-token', 'x']);
	refused(['run', ...BASE], { DIRECTUS_FROM_TOKEN: 'f' });
	refused(['run', ...BASE], { DIRECTUS_TO_TOKEN: 't' });
	refused(['run', ...BASE, '--to-token-env', 'NOPE']);
	refused(['run', ...BASE, '--to-token-env', 'not a name']);
	refused(['run', '--from', 'ftp://cms.example', '--to', 'https://s']);
	refused(['run', '--from', 'https://user:pass@cms.example', '--to', 'https://s']);
	refused(['run', '--to', 'https://s']);
	refused(['run', ...BASE, '--dry-run']);
	refused(['run', ...BASE, '--all', '--exclude', 'a']);
	refused(['run', ...BASE, 'articles']);
	refused(['verify', ...BASE, '--artifacts', 'out']);
	refused(['run', ...BASE, '--json', '--ndjson']);
	const missing = (() => {
		try {
			parseCommandLine(['run', ...BASE, '--to-token-env', 'STAGING_TOKEN'], ENV);
		} catch (error) {
			return error.message;
		}
	})();
	assert.match(missing, /STAGING_TOKEN/, 'the message names the variable');
});

test('the core\'s messages name the flags beside the options', () => {
	assert.equal(withFlags('scope.batchSize must be between 1 and 5000'), '--batch-size (scope.batchSize) must be between 1 and 5000');
	assert.equal(withFlags('scope.excludedTables and scope.selectedTables'), '--exclude (or --all) (scope.excludedTables) and --tables (scope.selectedTables)');
	assert.equal(withFlags('scope.unknownThing'), 'scope.unknownThing');
});

test('exit codes: 0 done, 1 failed rows or differences, 2 bad input, 3 a guard, 4 unreachable', () => {
	const run = (status, extra = {}) => exitOfAnswer('run', { status, httpStatus: 200, ...extra });
	assert.equal(run('completed'), 0);
	assert.equal(run('completed', { verification: { status: 'differs' } }), 1);
	assert.equal(run('completed with errors'), 1);
	assert.equal(run('cancelled', { httpStatus: 409 }), 3);
	assert.equal(run('failed', { httpStatus: 502 }), 4);
	assert.equal(exitOfAnswer('verify', { status: 'identical' }), 0);
	assert.equal(exitOfAnswer('verify', { status: 'contains' }), 0);
	assert.equal(exitOfAnswer('verify', { status: 'differs' }), 1);
	assert.equal(exitOfAnswer('check', { status: 'success' }), 0, 'a refused check is an error (its code)');
	for (const [code, status, exit] of [
		['INVALID_PAYLOAD', 400, 2], ['DESTINATION_UNAUTHORIZED', 400, 2], ['SCHEMA_MISMATCH', 409, 3], ['CANNOT_PLAN', 422, 3],
		['JOB_RUNNING', 409, 3], ['DESTINATION_UNREACHABLE', 502, 4], ['DESTINATION_TIMEOUT', 504, 4], ['DESTINATION_BUSY', 503, 4],
		['SOURCE_UNAUTHORIZED', 401, 2], ['SOURCE_FORBIDDEN', 403, 2], ['SOURCE_UNREACHABLE', undefined, 4], ['SOURCE_ERROR', 500, 4],
	]) assert.equal(exitOf({ code, status }), exit, code);
});

test('the job store in memory keeps the database table\'s guards and its one lock per destination', async () => {
	const { store, cancelRunning } = memoryJobs();
	const job = (id, fields = {}) => ({ id, kind: 'run', status: 'running', destination: 'https://d', lockKey: 'https://d', owner: 'me', leaseUntil: 10, startedAt: 1, state: '{}', lines: '[]', ...fields });
	assert.equal(await store.jobInsert(job('a')), true);
	assert.equal(await store.jobInsert(job('b')), false, 'the destination is held');
	assert.equal(await store.jobInsert(job('a', { lockKey: null })), false, 'the id is taken');
	assert.equal(await store.jobHolding('https://d'), 'a');
	assert.equal(await store.jobUpdate('a', { owner: 'other' }, { leaseUntil: 20 }), 0);
	assert.equal(await store.jobUpdate('a', { owner: null }, { leaseUntil: 20 }), 0);
	assert.equal(await store.jobUpdate('a', { owner: 'me', leaseUntil: 10 }, { leaseUntil: 20, lines: '["x"]' }), 1);
	assert.equal((await store.jobGet('a', true)).lines, '["x"]');
	assert.equal((await store.jobGet('a', false)).lines, undefined);
	assert.equal(await store.jobInsert(job('b', { lockKey: 'https://e' })), true);
	assert.equal(await store.jobUpdate('b', {}, { lockKey: 'https://d' }), 0, 'a lock another job holds');
	assert.deepEqual((await store.jobDue(15)).map((r) => r.id), ['b']);
	assert.equal(cancelRunning(), 2);
	assert.equal((await store.jobGet('a', false)).cancelRequested, true, 'Ctrl-C asks what the cancel route asks');
	assert.equal(await store.jobUpdate('a', { owner: 'me' }, { status: 'completed', lockKey: null }), 1);
	assert.equal(await store.jobHolding('https://d'), null);
	assert.equal(await store.jobDelete('a', 'other'), 0);
	assert.equal(await store.jobDelete('a', 'me'), 1);
	assert.equal(await store.sealText('request with a token'), null, 'a request is never kept');
	await assert.rejects(store.unsealText('x'), (error) => error.code === 'JOB_UNSEALABLE');
});

test('artifacts in a local folder: streamed, owner-only, never replaced, never outside the folder', async () => {
	const dir = await mkdtemp(join(tmpdir(), 'tm-cli-artifacts-'));
	try {
		const library = localArtifacts(dir);
		assert.equal(await library.findFolder({ name: 'Migrations', parent: null }), null);
		const top = await library.createFolder({ name: 'Migrations', parent: null });
		assert.equal(await library.findFolder({ name: 'Migrations', parent: null }), top);
		const run = await library.createFolder({ name: 'Migration 2026', parent: top });
		const write = async (text) => {
			const handle = await library.openFile({ storage: 'folder:x', folder: run, filename: 'report.json', type: 'application/json' });
			for (const part of text.match(/.{1,7}/gs)) await library.appendFile(handle, new TextEncoder().encode(part));
			return library.closeFile(handle);
		};
		const first = await write('{"first":"run ü"}');
		const second = await write('{"second":true}');
		assert.equal(first, 'Migrations/Migration 2026/report.json');
		assert.equal(second, 'Migrations/Migration 2026/report (2).json', 'a name taken gets a twin');
		assert.equal(await readFile(join(dir, first), 'utf8'), '{"first":"run ü"}');
		assert.equal((await stat(join(dir, first))).mode & 0o777, 0o600);
		assert.equal((await stat(join(dir, top))).mode & 0o777, 0o700);
		// Names are one path segment; a folder id outside the folder is refused.
		const sneaky = await library.createFolder({ name: '../escape', parent: null });
		assert.equal(sneaky, '.._escape', 'a separator in a name is not a path');
		await assert.rejects(library.openFile({ storage: 'folder:x', folder: '../..', filename: 'x', type: 'text/plain' }), /outside/);
		await assert.rejects(library.appendFile(99, new Uint8Array([1])), /no artifact/);
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
});

test('the source is read again when it says "later" (429, 503: after its Retry-After), never when it says no', async () => {
	const { createServer } = await import('node:http');
	const { sourceClient } = await import('../../js-shim/cli/source.js');
	const answers = [];
	const server = createServer((req, res) => {
		const next = answers.shift() ?? [500, '{}', {}];
		res.writeHead(next[0], { 'content-type': 'application/json', ...next[2] }).end(next[1]);
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${server.address().port}`;
	try {
		const source = sourceClient({ url, token: 't' }, { tries: 3 });
		answers.push([429, '{"errors":[{"message":"Too many requests"}]}', { 'retry-after': '0' }], [503, 'down', { 'retry-after': '0' }], [200, '{"data":1}']);
		assert.equal(await source.text('GET', '/x'), '{"data":1}');
		answers.push([503, 'down', { 'retry-after': '0' }], [503, 'down', { 'retry-after': '0' }], [503, 'still down', { 'retry-after': '0' }]);
		await assert.rejects(source.text('GET', '/x'), (error) => error.code === 'SOURCE_ERROR' && error.status === 503 && /still down/.test(error.message));
		answers.push([401, '{"errors":[{"message":"Invalid user credentials."}]}'], [200, '{"data":"not asked"}']);
		await assert.rejects(source.text('GET', '/x'), (error) => error.code === 'SOURCE_UNAUTHORIZED' && /Invalid user credentials/.test(error.message));
		assert.equal(answers.length, 1, 'a refusal is not asked again');
	} finally {
		server.close();
	}
});
