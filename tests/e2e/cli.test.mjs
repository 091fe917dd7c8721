// The command line (dist/cli.js, issue 26) on real instances: the same core in plain Node, reading
// a source WITHOUT the extension over its REST API and writing the destination through its bulk
// receiver (rows in the API's representation, which the receiver converts) or over REST. It
// syncs the schema, moves the sample rows and the files they reference exactly, creates nothing
// on a re-run, verifies identical; its three outputs (--json, --ndjson, plain lines off a TTY)
// and its exit codes (2 bad input, 3 a guard's refusal, 4 an instance unreachable, 1 rows
// refused) hold; and the destination's token never appears in anything it prints or writes.
// On every database and version of the matrix (the source's REST answers differ per vendor: keys,
// numbers, dates), one pair each (plus an empty destination for the schema guard), reused by every
// test of the suite, in order.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, freePort, startDirectus, startPair } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { createSampleSchema, SAMPLE_COLLECTION_NAMES } from '../../scripts/lib/sample-schema.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { seedSampleFiles } from '../../scripts/lib/sample-files.mjs';
import { MATRIX, schemaOf, sha256 } from './support.mjs';

const CLI = join(ROOT, 'dist/cli.js');
const TABLES = SAMPLE_COLLECTION_NAMES.join(',');
const KEYS = { languages: 'code' };
/** Over REST, Directus stamps date_updated when the run writes the created values back. */
const STAMPED = ['authors', 'articles'];

/**
 * The sample rows of `collections` on both instances are the same (over REST, less the
 * date_updated Directus stamps), JSON documents with their keys in the same order.
 */
async function assertSameRows(source, destination, collections, { stamped = false } = {}) {
	for (const collection of collections) {
		const [ours, theirs] = await Promise.all([rowsOf(source, collection), rowsOf(destination, collection)]);
		assert.equal(theirs.length, ours.length, collection);
		const strip = (row) => {
			const copy = { ...row };
			if (stamped && STAMPED.includes(collection)) delete copy.date_updated;
			return copy;
		};
		assert.deepEqual(theirs.map(strip), ours.map(strip), collection);
		const documents = (rows) => rows.map((row) => Object.values(row).filter((v) => v !== null && typeof v === 'object').map((v) => JSON.stringify(v)));
		assert.deepEqual(documents(theirs), documents(ours), `${collection}: JSON key order`);
	}
}
/** Every variable the command line reads a token from: none is inherited from the test's own environment. */
const TOKEN_VARIABLES = /^(DIRECTUS_FROM_TOKEN|DIRECTUS_TO_TOKEN|TM_CLI_.*)$/;

/**
 * Run `node dist/cli.js ...args` with `env` added to a copy of this process's environment (its own
 * token variables removed), stdout and stderr piped (not a TTY). Resolves with `{ command, code,
 * signal, stdout, stderr }`; a run that outlives `timeout` is killed (by its pid) and says so.
 */
function cli(args, { env = {}, timeout = 300_000 } = {}) {
	const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !TOKEN_VARIABLES.test(name)));
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		let timedOut = false;
		const started = performance.now();
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		const timer = setTimeout(() => {
			timedOut = true;
			child.kill('SIGKILL');
		}, timeout);
		child.on('error', reject);
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolve({ command: `cli ${args.join(' ')}`, code, signal, stdout, stderr, timedOut, seconds: (performance.now() - started) / 1000 });
		});
	});
}

/** What a run printed, for assertion messages. */
const shown = (res) => `${res.command}\n→ exit ${res.code} after ${res.seconds.toFixed(1)} s${res.signal ? ` (${res.signal})` : ''}${res.timedOut ? ' (killed: timed out)' : ''}\n--- stdout:\n${res.stdout.slice(0, 4000)}\n--- stderr:\n${res.stderr.slice(-4000)}`;

/** The one JSON document `--json` prints. */
function documentOf(res) {
	try {
		return JSON.parse(res.stdout);
	} catch {
		assert.fail(`stdout is not one JSON document:\n${shown(res)}`);
	}
}

function assertExit(res, code) {
	assert.equal(res.code, code, `expected exit ${code}:\n${shown(res)}`);
}

/** The `--json` error document of a refused run, with its exit code. */
function assertError(res, exitCode, code) {
	assertExit(res, exitCode);
	const doc = documentOf(res);
	assert.equal(doc.type, 'error', shown(res));
	if (code) assert.equal(doc.code, code, shown(res));
	assert.equal(typeof doc.message, 'string', shown(res));
	return doc;
}

async function rowsOf(instance, collection) {
	const key = KEYS[collection] ?? 'id';
	const data = await client(instance.url, instance.token).get(`/items/${collection}?limit=-1&sort=${key}&fields=*`);
	return Array.isArray(data) ? data : [data]; // a singleton answers with its one row
}

/** Every file of a folder, its subfolders' included (paths relative to it). */
async function filesUnder(dir) {
	return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}

const tableOf = (report, name) => report.tables.find((t) => t.collection === name);

for (const { db, version, label } of MATRIX) {
	describe(`the command line on ${label}, the source without the extension`, () => {
		let pair, source, destination, bare, counts, referenced, artifactsDir;
		/** Every run of the command line, with the destination token it was given. */
		const runs = [];
		const recorded = async (args, { env, secret, timeout } = {}) => {
			const res = await cli(args, { env, timeout });
			runs.push({ ...res, secret });
			return res;
		};
		const endpoints = () => ['--from', source.url, '--to', destination.url];
		const tokens = () => ({ DIRECTUS_FROM_TOKEN: source.token, DIRECTUS_TO_TOKEN: destination.token });
		/** `command` from the source to the destination, with both tokens. */
		const between = (command, ...args) => recorded([command, ...endpoints(), ...args], { env: tokens(), secret: destination.token });

		before(async () => {
			[pair, bare] = await Promise.all([
				startPair(version, { db, source: { extension: false } }),
				// An empty destination that never gets the schema: the run guard's case.
				startDirectus({ version, db, name: 'bare-destination' }),
			]);
			({ source, destination } = pair);
			// Destinations with tokens of their own (every instance starts with the same admin token):
			// the token the tests look for in the output is the destination's alone.
			for (const instance of [destination, bare]) {
				const secret = `dest-secret-${randomBytes(12).toString('hex')}`;
				await client(instance.url, instance.token).patch('/users/me', { token: secret });
				instance.token = secret;
			}
			const probe = await fetch(`${source.url}/migration/test`);
			assert.equal(probe.status, 404, 'the source has no extension');
			await probe.body?.cancel();

			await createSampleSchema(source);
			const { files } = await seedSampleFiles(source, { images: 4, documents: 3 });
			const covers = files.filter((f) => f.type === 'image/png').map((f) => f.id);
			const attachments = files.filter((f) => f.type !== 'image/png').map((f) => f.id);
			counts = await seedSampleData(source, { articles: 60, covers, attachments });
			artifactsDir = await mkdtemp(join(tmpdir(), 'tm-cli-artifacts-'));
		});
		after(async () => {
			await Promise.all([pair?.stop(), bare?.stop()]);
			if (artifactsDir) await rm(artifactsDir, { recursive: true, force: true });
		});

		test('tables lists the source\'s collections with their counts, with --from alone', async () => {
			const res = await recorded(['tables', '--from', source.url, '--json'], { env: { DIRECTUS_FROM_TOKEN: source.token } });
			assertExit(res, 0);
			const doc = documentOf(res);
			const list = Array.isArray(doc) ? doc : doc.tables;
			assert.ok(Array.isArray(list), shown(res));
			assert.deepEqual(list.map((t) => t.collection).sort(), [...SAMPLE_COLLECTION_NAMES].sort());
			for (const table of list) assert.equal(table.count, counts[table.collection], table.collection);
		});

		test('check says the destination is usable, tokens read from the variables --from-token-env / --to-token-env name', async () => {
			const res = await recorded(['check', ...endpoints(), '--from-token-env', 'TM_CLI_SOURCE', '--to-token-env', 'TM_CLI_DESTINATION', '--json'], {
				env: { TM_CLI_SOURCE: source.token, TM_CLI_DESTINATION: destination.token },
				secret: destination.token,
			});
			assertExit(res, 0);
			const doc = documentOf(res);
			assert.equal(doc.status, 'success', shown(res));
		});

		test('schema-sync: --dry-run writes nothing, then the schema is created, then it is in sync', async () => {
			const names = async () => (await client(destination.url, destination.token).get('/collections?limit=-1')).map((c) => c.collection);
			const dry = await between('schema-sync', '--dry-run', '--json');
			assertExit(dry, 0);
			documentOf(dry);
			assert.ok(!(await names()).includes('articles'), 'a dry run creates nothing');

			const sync = await between('schema-sync', '--json');
			assertExit(sync, 0);
			assert.notEqual(documentOf(sync).type, 'error', shown(sync));
			assert.deepEqual(await schemaOf(destination, SAMPLE_COLLECTION_NAMES), await schemaOf(source, SAMPLE_COLLECTION_NAMES));

			const again = await between('schema-sync', '--json');
			assertExit(again, 0);
			assert.equal(documentOf(again).inSync, true, shown(again));
		});

		test('run moves every row (through the bulk receiver) and every file they reference; rows equal, bytes equal; no artifacts without --artifacts', async () => {
			const sourceFiles = async () => (await client(source.url, source.token).get('/files?limit=-1&fields=id')).length;
			const filesBefore = await sourceFiles();
			const res = await between('run', '--tables', TABLES, '--batch-size', '25', '--concurrency', '2', '--json');
			assertExit(res, 0);
			const report = documentOf(res);
			assert.equal(report.status, 'completed', shown(res));
			assert.equal(report.transport, 'bulk', 'the destination has the extension: its receiver takes the API\'s rows');
			for (const [collection, count] of Object.entries(counts)) {
				const table = tableOf(report, collection);
				assert.ok(table, `${collection} is in the report`);
				assert.equal(table.created, count, collection);
				assert.equal(table.failed, 0, collection);
			}

			// Every value as the source has it, dates and JSON included: nothing is stamped in bulk.
			await assertSameRows(source, destination, SAMPLE_COLLECTION_NAMES);

			// Every file the rows reference: the same row, the same bytes.
			const articles = await rowsOf(source, 'articles');
			const links = await rowsOf(source, 'articles_files');
			referenced = new Set([...articles.map((a) => a.cover), ...links.map((l) => l.directus_files_id)].filter(Boolean));
			assert.ok(referenced.size >= 5, `covers and attachments are referenced (${referenced.size})`);
			assert.equal(report.files?.migrated, referenced.size, `files.migrated: ${JSON.stringify(report.files)}`);
			for (const id of referenced) {
				const fields = 'id,filename_download,filesize,type,title';
				const [ours, theirs] = await Promise.all([
					client(source.url, source.token).get(`/files/${id}?fields=${fields}`),
					client(destination.url, destination.token).get(`/files/${id}?fields=${fields}`),
				]);
				assert.deepEqual(theirs, ours, `file ${id}`);
				assert.equal(await sha256(destination, id), await sha256(source, id), `file ${id}: bytes`);
			}

			// Without --artifacts nothing is written anywhere: no file, no "Migrations" folder.
			assert.equal(await sourceFiles(), filesBefore, 'no file added to the source');
			for (const instance of [source, destination]) {
				const folders = await client(instance.url, instance.token).get('/folders?limit=-1&fields=name');
				assert.ok(!folders.some((f) => f.name === 'Migrations'), `no artifacts folder on the ${instance.name}`);
			}
		});

		test('a re-run creates nothing and exits 0; with --artifacts it writes them into the folder', async () => {
			const res = await between('run', '--tables', TABLES, '--json', '--artifacts', artifactsDir);
			assertExit(res, 0);
			const report = documentOf(res);
			assert.equal(report.status, 'completed', shown(res));
			for (const table of report.tables) {
				assert.equal(table.created, 0, table.collection);
				assert.equal(table.failed, 0, table.collection);
			}
			for (const [collection, count] of Object.entries(counts)) assert.equal(tableOf(report, collection)?.skipped, count, collection);
			if (report.files) assert.equal(report.files.migrated, 0, JSON.stringify(report.files));

			const written = await filesUnder(artifactsDir);
			assert.ok(written.length > 0, 'artifacts are written into --artifacts');
			assert.ok(written.some((f) => /\.(json|ndjson)$/.test(f)), written.join('\n'));
			for (const file of written) {
				assert.ok(!(await readFile(file, 'utf8')).includes(destination.token), `${file} holds the destination token`);
			}
		});

		test('verify says identical and exits 0', async () => {
			const res = await between('verify', '--tables', TABLES, '--json');
			assertExit(res, 0);
			const doc = documentOf(res);
			assert.equal(doc.status, 'identical', shown(res));
		});

		test('--mode merge carries edited rows through the bulk receiver; a second merge changes nothing', async () => {
			const api = client(source.url, source.token);
			const [first] = await api.get('/items/articles?limit=1&sort=id&fields=id,title');
			await api.patch(`/items/articles/${first.id}`, { title: `${first.title} (edited)` });
			const merge = await between('run', '--tables', 'articles', '--mode', 'merge', '--json');
			assertExit(merge, 0);
			const report = documentOf(merge);
			assert.equal(report.transport, 'bulk', shown(merge));
			assert.equal(tableOf(report, 'articles').updated, 1, shown(merge));
			await assertSameRows(source, destination, ['articles']);
			const again = documentOf(await between('run', '--tables', 'articles', '--mode', 'merge', '--json'));
			assert.equal(tableOf(again, 'articles').updated, 0, 'the rows compare equal, read the same way on both sides');
		});

		test('--ndjson prints the event stream, one JSON object a line, ending with the summary', async () => {
			const res = await between('run', '--tables', TABLES, '--ndjson');
			assertExit(res, 0);
			const lines = res.stdout.split('\n').filter(Boolean);
			assert.ok(lines.length > 1, shown(res));
			const events = lines.map((line, i) => {
				try {
					return JSON.parse(line);
				} catch {
					assert.fail(`line ${i + 1} is not JSON: ${line}`);
				}
			});
			assert.ok(events.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e) && typeof e.type === 'string'), 'every line an event with a type');
			const summary = events.at(-1);
			assert.equal(summary.type, 'summary', shown(res));
			assert.equal(summary.status, 'completed');
			assert.ok(summary.tables.every((t) => t.created === 0), 'nothing created');
			assert.equal(events.filter((e) => e.type === 'summary').length, 1, 'one summary');
		});

		test('off a TTY, without --json, it prints plain readable lines, no JSON, no terminal escapes', async () => {
			const res = await between('dry-run', '--tables', TABLES);
			assertExit(res, 0);
			const lines = res.stdout.split('\n').filter((l) => l.trim());
			assert.ok(lines.length > 0, shown(res));
			for (const line of lines) {
				let parsed = null;
				try {
					parsed = JSON.parse(line);
				} catch {
					// a line of text, as it should be
				}
				assert.ok(parsed === null || typeof parsed !== 'object', `a JSON line in the plain output: ${line}`);
			}
			assert.ok(!/[\u001b\r]/.test(res.stdout), `terminal escapes or carriage returns in stdout:\n${JSON.stringify(res.stdout.slice(0, 600))}`);
			assert.match(res.stdout, /articles/, 'the tables are named');
		});

		test('bad input exits 2', async () => {
			// A missing token: the variable is named.
			const noDestinationToken = await recorded(['run', ...endpoints(), '--tables', 'tags'], { env: { DIRECTUS_FROM_TOKEN: source.token } });
			assertExit(noDestinationToken, 2);
			assert.match(noDestinationToken.stdout + noDestinationToken.stderr, /DIRECTUS_TO_TOKEN/);
			const noSourceToken = await recorded(['run', ...endpoints(), '--tables', 'tags'], { env: { DIRECTUS_TO_TOKEN: destination.token }, secret: destination.token });
			assertExit(noSourceToken, 2);
			assert.match(noSourceToken.stdout + noSourceToken.stderr, /DIRECTUS_FROM_TOKEN/);
			const unsetNamed = await recorded(['run', ...endpoints(), '--tables', 'tags', '--to-token-env', 'TM_CLI_UNSET'], { env: tokens(), secret: destination.token });
			assertExit(unsetNamed, 2);
			assert.match(unsetNamed.stdout + unsetNamed.stderr, /TM_CLI_UNSET/);

			const batch = await between('run', '--tables', 'tags', '--batch-size', '0', '--json');
			assertError(batch, 2, 'INVALID_PAYLOAD');

			const unknownTable = await between('run', '--tables', 'no_such_table', '--json');
			assert.match(assertError(unknownTable, 2).message, /no_such_table/);

			// What needs the extension on the source is refused, saying so: password hashes.
			const passwords = await between('run', '--all', '--user-passwords');
			assertExit(passwords, 2);
			assert.match(passwords.stdout + passwords.stderr, /extension/i, shown(passwords));

			const unknownFlag = await between('run', '--tables', 'tags', '--no-such-flag');
			assertExit(unknownFlag, 2);
			assert.match(unknownFlag.stdout + unknownFlag.stderr, /no-such-flag/);

			// Nothing was written: the destination's tags are the source's.
			assert.deepEqual(await rowsOf(destination, 'tags'), await rowsOf(source, 'tags'));
		});

		test('an instance nobody listens on exits 4', async () => {
			const closed = `http://127.0.0.1:${await freePort()}`;
			const secret = `dest-secret-${randomBytes(12).toString('hex')}`;
			const env = { DIRECTUS_FROM_TOKEN: source.token, DIRECTUS_TO_TOKEN: secret };
			const run = await recorded(['run', '--from', source.url, '--to', closed, '--tables', TABLES, '--json'], { env, secret });
			assertError(run, 4, 'DESTINATION_UNREACHABLE');
			const tables = await recorded(['tables', '--from', closed, '--json'], { env: { DIRECTUS_FROM_TOKEN: source.token } });
			assertError(tables, 4);
			const check = await recorded(['check', '--from', source.url, '--to', closed, '--json'], { env, secret });
			assertError(check, 4, 'DESTINATION_UNREACHABLE');
		});

		test('the schema guard: run and dry-run to a destination without the schema exit 3, SCHEMA_MISMATCH', async () => {
			for (const command of ['run', 'dry-run']) {
				const res = await recorded([command, '--from', source.url, '--to', bare.url, '--tables', TABLES, '--json'], {
					env: { DIRECTUS_FROM_TOKEN: source.token, DIRECTUS_TO_TOKEN: bare.token },
					secret: bare.token,
				});
				const error = assertError(res, 3, 'SCHEMA_MISMATCH');
				assert.match(error.message, /schema-sync/, shown(res));
			}
			const names = (await client(bare.url, bare.token).get('/collections?limit=-1')).map((c) => c.collection);
			assert.ok(!names.includes('articles'), 'nothing was created on it');
		});

		test('over REST (--transport rest): the same rows, once the schema is synced', async () => {
			const env = { DIRECTUS_FROM_TOKEN: source.token, DIRECTUS_TO_TOKEN: bare.token };
			const to = ['--from', source.url, '--to', bare.url];
			assertExit(await recorded(['schema-sync', ...to, '--json'], { env, secret: bare.token }), 0);
			const res = await recorded(['run', ...to, '--tables', TABLES, '--transport', 'rest', '--json'], { env, secret: bare.token });
			assertExit(res, 0);
			const report = documentOf(res);
			assert.equal(report.transport, 'rest', shown(res));
			assert.equal(report.status, 'completed', shown(res));
			await assertSameRows(source, bare, SAMPLE_COLLECTION_NAMES, { stamped: true });
		});

		test('a row the destination refuses exits 1, reported with its key; verify then differs and exits 1', async () => {
			// tags.name is unique: the destination has the name under another key.
			const [clash] = await client(source.url, source.token).post('/items/tags', [{ name: 'clash-on-destination' }, { name: 'arrives-fine' }]);
			await client(destination.url, destination.token).post('/items/tags', { id: 90_000, name: 'clash-on-destination' });
			const res = await between('run', '--tables', 'tags', '--json');
			assertExit(res, 1);
			const report = documentOf(res);
			assert.equal(report.status, 'completed with errors', shown(res));
			assert.equal(tableOf(report, 'tags').failed, 1);
			assert.equal(tableOf(report, 'tags').created, 1);
			assert.ok(report.failures?.some((f) => f.collection === 'tags' && String(f.key) === String(clash.id)), `failures: ${JSON.stringify(report.failures)}`);
			const names = (await rowsOf(destination, 'tags')).map((t) => t.name);
			assert.ok(names.includes('arrives-fine') && names.filter((n) => n === 'clash-on-destination').length === 1);

			const verify = await between('verify', '--tables', 'tags', '--json');
			assertExit(verify, 1);
			assert.equal(documentOf(verify).status, 'differs', shown(verify));
		});

		test('the destination\'s token appears in no output of any run', () => {
			assert.ok(runs.length > 0, 'the command line ran');
			for (const run of runs) {
				for (const secret of new Set([run.secret, destination.token, bare.token].filter(Boolean))) {
					assert.ok(!run.stdout.includes(secret), `the destination token in stdout of ${run.command}`);
					assert.ok(!run.stderr.includes(secret), `the destination token in stderr of ${run.command}`);
				}
			}
		});
	});
}
