// Faults between source and destination (issue 12, "Hardening"): every migration here goes
// through a fault-injecting proxy (tests/e2e/fault-proxy.mjs) in front of the destination, which
// answers bursts of 503, 429 with Retry-After, loses answers after the destination committed,
// slows answers down, has the destination killed (SIGKILL) and restarted mid-run, or refuses every
// write with 500. After each: the run completes or stops with a clear report, a re-run (straight
// to the destination, no faults) completes, and the destination holds exactly the source's rows
// and files — none lost, none duplicated, every held-back reference set — on both transports.
//
// Each scenario starts from the same destination: schema synced, no rows, no files (its database
// is put back and the process restarted on the same port, behind the same proxy).
//
// Set TM_FAULTS_REPORT to a file path to get every scenario's record appended there as JSON lines.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { VERSIONS } from '../../scripts/lib/directus.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { seedSampleFiles } from '../../scripts/lib/sample-files.mjs';
import { migrationCall, startSamplePair, summaryOf } from './support.mjs';
import { SAMPLE_COLLECTION_NAMES } from '../../scripts/lib/sample-schema.mjs';

// Every sample table by name: user rows and the files they reference (excludedTables mode also
// moves Directus' own collections and every file: tests/e2e/system.test.mjs).
const EVERY_SAMPLE_TABLE = SAMPLE_COLLECTION_NAMES;
import { startFaultProxy, pass, status, delay, dropAfterForward } from './fault-proxy.mjs';
import { judge } from './judge.mjs';

const TRANSPORTS = ['rest', 'bulk'];
const ARTICLES = 300;
const WRITE_METHODS = ['POST', 'PATCH', 'DELETE'];
/** Paths that write on the destination: items, files, folders, the bulk receiver's rows. (Key
 * lookups — GET /items, POST /migration/receive/existing — are reads.) */
const WRITES = /^\/(items\/[^/]+(\/.*)?|files(\/.*)?|folders(\/.*)?|migration\/receive\/rows)$/;
/** Creates of rows (either transport) and of files. */
const ROW_CREATES = /^\/(items\/[^/]+|migration\/receive\/rows)$/;
const FILE_CREATES = /^\/files$/;
/** Rule matchers for the creates of one collection's rows, over REST (by path) and over the bulk
 * receiver (by the batch's NDJSON header line, which names the collection and the mode). */
const createsOf = (collection) => [
	{ method: 'POST', path: new RegExp(`^/items/${collection}$`) },
	{ method: 'POST', path: /^\/migration\/receive\/rows$/, body: new RegExp(`^\\{"wire":\\d+,"mode":"create","collection":"${collection}"`) },
];
/** Small pages, so faults land in the middle of tables rather than on their only page. */
const PAGED = { batchSize: 50 };
/** The fields held back for the second pass (cycles), which a run must set like the source's. */
const HELD_BACK = [['categories', 'parent'], ['authors', 'favorite_article']];
/** The circuit breaker's bound: write requests a run may make against a destination that refuses
 * every write, with 500-row pages. */
const MAX_WRITES_WHEN_REFUSED = 50;

/**
 * The scenarios. `arm(proxy, context)` sets the proxy's rules (and may return a promise the test
 * awaits after the first run, e.g. the destination's restart); `scope` is merged into the run's
 * scope; `expect: 'failed'` is for a run that must stop; `everyRowCreated`: the first run must
 * report every row it wrote as created (none skipped, none failed).
 */
const SCENARIOS = [
	{
		name: '503 burst',
		what: 'every write answered 503 for 1.5 s, from the 21st write on',
		scope: PAGED,
		arm: (proxy) => proxy.rule({ name: '503 burst', method: WRITE_METHODS, path: WRITES, after: 20, forMs: 1500, action: status(503) }),
	},
	{
		name: '429 Retry-After',
		what: 'every write answered 429 with Retry-After: 2 for 3 s, from the 21st write on',
		scope: PAGED,
		arm: (proxy) => proxy.rule({ name: '429 burst', method: WRITE_METHODS, path: WRITES, after: 20, forMs: 3000, action: status(429, { retryAfter: 2 }) }),
	},
	{
		name: 'lost answers',
		what: 'answers dropped after the destination committed: the first create of categories and of authors (the tables with held-back references), every 3rd other row create (4 in all), every 2nd file upload (2 in all)',
		scope: PAGED,
		// The destination starts empty: a row whose answer was lost landed on the first attempt,
		// and its retry reports it created, never skipped or failed.
		everyRowCreated: true,
		arm: (proxy) => {
			for (const collection of ['categories', 'authors']) {
				for (const rule of createsOf(collection)) proxy.rule({ name: `lost ${collection} answer`, ...rule, times: 1, action: dropAfterForward() });
			}
			proxy.rule({ name: 'lost row answers', method: 'POST', path: ROW_CREATES, every: 3, times: 4, action: dropAfterForward() });
			proxy.rule({ name: 'lost upload answers', method: 'POST', path: FILE_CREATES, every: 2, times: 2, action: dropAfterForward() });
		},
	},
	{
		name: 'slow answers',
		what: 'every 2nd write answered 2 s late, every 5th read 1 s late',
		scope: PAGED,
		arm: (proxy) => {
			proxy.rule({ name: 'slow writes', method: WRITE_METHODS, path: WRITES, every: 2, action: delay(2000) });
			proxy.rule({ name: 'slow reads', method: 'GET', every: 5, action: delay(1000) });
		},
	},
	{
		name: 'destination killed',
		what: 'the destination SIGKILLed at the 7th row create, restarted at once (same port, folder, database)',
		scope: PAGED,
		arm: (proxy, { destination, note }) => {
			let restarted = Promise.resolve();
			proxy.rule({
				name: 'kill',
				method: 'POST',
				path: ROW_CREATES,
				after: 6,
				times: 1,
				action: pass(),
				before: async () => {
					const killedAt = Date.now();
					await destination.kill();
					note.killed = true;
					restarted = destination.start().then(() => (note.downSeconds = (Date.now() - killedAt) / 1000));
				},
			});
			return () => restarted;
		},
	},
	{
		name: 'every write refused',
		what: 'every write answered 500 (500-row pages): the run must stop after a bounded number of writes, saying why',
		scope: {},
		expect: 'failed',
		arm: (proxy) => proxy.rule({ name: '500 on writes', method: WRITE_METHODS, path: WRITES, action: status(500) }),
	},
];

const seconds = (since) => Math.round((Date.now() - since) / 100) / 10;
const totals = (summary) => summary.tables.reduce((sum, t) => ({ created: sum.created + t.created, skipped: sum.skipped + t.skipped, failed: sum.failed + t.failed }), { created: 0, skipped: 0, failed: 0 });

function printTable(records) {
	const lines = [
		'| version | transport | scenario | first run | proxy did | re-run | destination |',
		'|---|---|---|---|---|---|---|',
		...records.map((r) => `| ${r.version} | ${r.transport} | ${r.scenario} | ${r.first} | ${r.proxy} | ${r.rerun} | ${r.judge} |`),
	];
	console.log(lines.join('\n'));
}

for (const version of VERSIONS) for (const transport of TRANSPORTS) {
	describe(`faults on Directus ${version} over ${transport}`, () => {
		let pair, source, destination, proxy, snapshot;
		const records = [];
		const ndjson = { accept: 'application/x-ndjson' };

		/** The destination as it was after the schema sync: no rows, no files. */
		async function resetDestination() {
			await destination.kill({ signal: 'SIGTERM' });
			await cp(snapshot, destination.dbFile);
			for (const suffix of ['-wal', '-shm', '-journal']) await rm(`${destination.dbFile}${suffix}`, { force: true });
			await rm(destination.uploadsDir, { recursive: true, force: true });
			await mkdir(destination.uploadsDir, { recursive: true });
			await destination.start();
		}

		before(async () => {
			({ pair, source, destination } = await startSamplePair(version));
			const { files } = await seedSampleFiles(source, { images: 4, documents: 3 });
			const images = files.filter((f) => f.type === 'image/png').map((f) => f.id);
			const documents = files.filter((f) => f.type !== 'image/png').map((f) => f.id);
			await seedSampleData(source, { articles: ARTICLES, covers: images.slice(0, 3), attachments: documents.slice(0, 2) });
			const sync = await migrationCall(source, 'schema-sync', { baseURL: destination.url, token: destination.token });
			assert.match(sync.lines.at(-1), /^Applied: /, sync.text.slice(-2000));
			await destination.kill({ signal: 'SIGTERM' });
			snapshot = join(destination.dir, 'schema-synced.db');
			await cp(destination.dbFile, snapshot);
			await destination.start();
			proxy = await startFaultProxy(destination.url);
		});
		after(async () => {
			printTable(records);
			await proxy?.close();
			await pair?.stop();
		});

		// TM_FAULTS_ONLY (a RegExp on scenario names) runs fewer while iterating.
		for (const scenario of SCENARIOS.filter((s) => new RegExp(process.env.TM_FAULTS_ONLY ?? '').test(s.name))) {
			test(`${scenario.name}: ${scenario.what}`, async () => {
				await resetDestination();
				proxy.reset();
				const note = {};
				const settle = scenario.arm(proxy, { destination, note });
				const scope = { transport, selectedTables: EVERY_SAMPLE_TABLE, ...scenario.scope };

				const started = Date.now();
				const firstCall = await migrationCall(source, 'run', { baseURL: proxy.url, token: destination.token, scope }, ndjson);
				const firstSeconds = seconds(started);
				assert.equal(firstCall.status, 200, firstCall.text.slice(0, 2000));
				const first = summaryOf(firstCall);
				const writes = proxy.count({ method: WRITE_METHODS, path: WRITES });
				const proxyDid = `${proxy.summary()}; ${writes} write(s)`;
				const faultFired = proxy.rules.some((r) => r.fired > 0);
				if (typeof settle === 'function') await settle();
				proxy.reset();

				const firstJudge = first.status === 'completed' ? await judge(source, destination, { transport }) : null;
				const rerunStarted = Date.now();
				const rerunCall = await migrationCall(source, 'run', { baseURL: destination.url, token: destination.token, scope: { transport, selectedTables: EVERY_SAMPLE_TABLE } }, ndjson);
				const rerun = summaryOf(rerunCall);
				const rerunSeconds = seconds(rerunStarted);
				const finalJudge = await judge(source, destination, { transport });

				const firstTotals = totals(first);
				const rerunTotals = totals(rerun);
				const record = {
					version,
					transport,
					scenario: scenario.name,
					first: `${first.status} in ${firstSeconds} s (${firstTotals.created} created, ${firstTotals.skipped} skipped, ${firstTotals.failed} failed${first.files ? `, ${first.files.migrated} file(s)` : ''})${first.error ? `: ${first.error}` : ''}`,
					proxy: `${proxyDid}${note.killed ? `; destination down ${note.downSeconds ?? '?'} s` : ''}`,
					rerun: `${rerun.status} in ${rerunSeconds} s (${rerunTotals.created} created, ${rerunTotals.skipped} skipped, ${rerunTotals.failed} failed)${rerun.error ? `: ${rerun.error}` : ''}`,
					judge: `${firstJudge ? `after the first run: ${firstJudge.status}${firstJudge.status === 'identical' ? '' : ` (${firstJudge.message})`}; ` : ''}after the re-run: ${finalJudge.status}${finalJudge.status === 'identical' ? '' : ` (${finalJudge.message})`}`,
				};
				records.push(record);
				console.log(`[faults] ${version} ${transport} ${scenario.name}\n  first run: ${record.first}\n  proxy: ${record.proxy}\n  re-run: ${record.rerun}\n  destination: ${record.judge}`);
				if (process.env.TM_FAULTS_REPORT) await appendFile(process.env.TM_FAULTS_REPORT, `${JSON.stringify(record)}\n`);

				// Every problem at once, so a failure shows the whole picture.
				const problems = [];
				if (!faultFired) problems.push(`the fault never fired: ${proxyDid}`);
				if (scenario.expect === 'failed') {
					if (first.status !== 'failed') problems.push(`the run against a destination refusing every write ended "${first.status}", not "failed" (${firstTotals.failed} row(s) reported failed)`);
					if (writes >= MAX_WRITES_WHEN_REFUSED) problems.push(`the run made ${writes} write requests against a destination refusing every write (bound: < ${MAX_WRITES_WHEN_REFUSED})`);
					if (!/500|refus/i.test(first.error ?? '')) problems.push(`the report does not say why the run stopped: error = ${JSON.stringify(first.error)}`);
				} else if (first.status === 'failed') {
					if (!first.error) problems.push('the run failed without saying why');
				} else if (first.status !== 'completed') {
					problems.push(`the run ended "${first.status}" under transient faults: ${JSON.stringify(first.failures?.slice(0, 3))}`);
				}
				if (scenario.everyRowCreated && (firstTotals.skipped || firstTotals.failed)) problems.push(`the first run into an empty destination reported ${firstTotals.skipped} row(s) skipped and ${firstTotals.failed} failed: every row it wrote counts as created`);
				if (firstJudge && firstJudge.status !== 'identical') problems.push(`the run reported "completed", but the destination ${firstJudge.status}: ${firstJudge.message}`);
				if (rerun.status !== 'completed') problems.push(`the re-run ended "${rerun.status}": ${rerun.error ?? JSON.stringify(rerun.failures?.slice(0, 3))}`);
				if (finalJudge.status !== 'identical') problems.push(`after the re-run the destination ${finalJudge.status}: ${finalJudge.message}`);
				for (const [collection, field] of HELD_BACK) {
					const table = finalJudge.table(collection);
					const wrong = table.differing.filter((d) => field in d.fields);
					const examples = wrong.slice(0, 3).map((d) => `${d.key}: source ${JSON.stringify(d.fields[field].source)}, destination ${JSON.stringify(d.fields[field].destination)}`);
					if (wrong.length) problems.push(`${collection}.${field} is not as on the source on ${wrong.length} row(s), e.g. ${examples.join('; ')}`);
				}
				assert.deepEqual(problems, [], problems.join('\n'));
			});
		}
	});
}
