// npm run bench: throughput and memory of the extension on two fresh local Directus instances,
// side by side with the destination's own ceiling.
//
//   node bench/run.mjs [--rows 100000] [--files 200] [--large 50] [--version 11.17.4] [--db sqlite]
//                      [--scope '{"batchSize":250}'] [--node-options=--max-old-space-size=256]
//                      [--tree 1000000] [--only bulk|all]
//
// --tree N seeds N categories (a self-referencing tree: every parent held back for the second
// pass). --only bulk runs the bulk transport alone (bench/bulk.mjs), the default from 500,000
// rows up, where the REST phases would take hours.
//
// --node-options is given to the Directus processes: a heap cap shows which RSS growth is
// garbage V8 has not collected yet (a leak would fail the run instead).
//
// --db is the database every instance runs on: sqlite (default), postgres or mysql (MariaDB),
// throwaway servers started for the run (scripts/lib/databases.mjs).
//
// Phases: seed the source (straight into its database), the ceiling (plain batched POST /items into
// a third instance), then, over the REST transport, schema-sync (reported, not compared), dry-run
// without and with artifacts, run and re-run, and over the bulk transport run without artifacts
// (a fifth instance), then run and re-run with them (a fourth); then 1% of the rows are edited on
// the source (articles' titles) and both destinations get a merge (scope.mode "merge") and a merge
// re-run, over their transport. After the REST re-run, the command line (dist/cli.js, when it is
// built; bench/cli.mjs), twice, each into a fresh destination it schema-syncs first (not
// measured): "cli run (REST source, REST destination)" (`node dist/cli.js run --transport rest
// --json`) and "cli run (REST source, bulk receiver)" (`--transport bulk`: the API's rows, which
// the receiver converts), with the REST phases' selection and --scope options (artifacts into a
// temporary folder, as the endpoint's runs save their own), the source read over its REST API,
// timed from spawn to exit (Node's start-up and the core's load included), each beside the
// endpoint's run over the same transport; the command line's own peak RSS is printed and kept in
// the JSON. Each run's summary says where its time went (summary.timings,
// printed per phase). Runs save their artifacts in the
// source's file library unless the phase says "no artifacts". Peak RSS of the source and
// destination processes is sampled in every phase. Prints a table and writes the same as JSON
// under bench/results/.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDirectus, ROOT } from '../scripts/lib/directus.mjs';
import { stopDatabaseServers } from '../scripts/lib/databases.mjs';
import { client } from '../scripts/lib/api.mjs';
import { SAMPLE_COLLECTION_NAMES } from '../scripts/lib/sample-schema.mjs';
import { seedBenchmark } from './dataset.mjs';
import { measureCeiling } from './ceiling.mjs';
import { sampleRss } from './rss.mjs';
import { benchBulk } from './bulk.mjs';
import { cliBuilt, cliFlags, runCli } from './cli.mjs';

const { values: args } = parseArgs({
	options: {
		rows: { type: 'string', default: '100000' },
		files: { type: 'string' },
		large: { type: 'string', default: '50' },
		version: { type: 'string', default: '11.17.4' },
		db: { type: 'string', default: 'sqlite' },
		scope: { type: 'string', default: '{}' },
		'node-options': { type: 'string', default: '' },
		tree: { type: 'string', default: '0' },
		only: { type: 'string' },
	},
});
const rows = Number(args.rows);
const version = args.version;
const db = args.db;
if (!['sqlite', 'postgres', 'mysql'].includes(db)) throw new Error(`--db must be sqlite, postgres or mysql, not ${db}`);
const DB_NAMES = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MariaDB' };
const largeMegabytes = Number(args.large) > 0 ? [Number(args.large)] : [];
const log = (line = '') => process.stdout.write(`${line}\n`);
const tree = Number(args.tree);
// 200 files by default; 20 for the bulk transport alone (bench/bulk.mjs).
const fileCount = (fallback) => Number(args.files ?? fallback);
// From half a million rows the REST phases would take hours: the bulk transport alone, unless
// `--only all` says otherwise.
const only = args.only ?? (rows + tree >= 500_000 ? 'bulk' : 'all');
if (!['all', 'bulk'].includes(only)) throw new Error(`--only must be all or bulk, not ${only}`);
if (only === 'bulk') {
	const env = args['node-options'] ? { NODE_OPTIONS: args['node-options'] } : {};
	const files = fileCount(20);
	await benchBulk({ rows, tree, files, version, db, scope: JSON.parse(args.scope), env });
	process.exit(0);
}
const benchStarted = performance.now();

/** POST a migration route with NDJSON, keeping each event's arrival time. */
async function stream(instance, route, body) {
	const res = await fetch(`${instance.url}/migration/${route}`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${instance.token}`, 'Content-Type': 'application/json', Accept: 'application/x-ndjson' },
		body: JSON.stringify(body),
	});
	if (!res.ok) throw new Error(`${route} answered ${res.status}: ${await res.text()}`);
	const events = [];
	let buffer = '';
	const decoder = new TextDecoder();
	for await (const chunk of res.body) {
		buffer += decoder.decode(chunk, { stream: true });
		let newline;
		while ((newline = buffer.indexOf('\n')) >= 0) {
			const line = buffer.slice(0, newline);
			buffer = buffer.slice(newline + 1);
			if (!line) continue;
			const event = JSON.parse(line);
			if (event.type !== 'rows') events.push({ t: performance.now(), ...event });
		}
	}
	const summary = events.at(-1);
	if (summary?.type !== 'summary') throw new Error(`${route} ended without a summary: ${JSON.stringify(events.at(-1))}`);
	return { events, summary };
}

/** Edit `count` articles on the source through its API (evenly spread), for the merge phases. */
async function editForMerge(instance, count) {
	const api = client(instance.url, instance.token);
	const ids = (await api.get('/items/articles?fields=id&sort=id&limit=-1')).map((a) => a.id);
	const step = Math.max(1, Math.floor(ids.length / count));
	const keys = ids.filter((_, i) => i % step === 0).slice(0, count);
	for (let i = 0; i < keys.length; i += 500) {
		await api.patch('/items/articles', { keys: keys.slice(i, i + 500), data: { title: 'edited for the merge benchmark' } });
	}
	return keys.length;
}

async function phase(name, pids, work) {
	const sampler = sampleRss(pids);
	const started = performance.now();
	const result = await work();
	const seconds = (performance.now() - started) / 1000;
	const { peaks, growth, samples } = sampler.stop();
	log(`  ${name}: ${seconds.toFixed(1)} s`);
	return { name, seconds, peaks, growth, samples, result };
}

log(`Benchmark: Directus ${version}, ${DB_NAMES[db]}, ${rows} rows, ${fileCount(200)} files, ${availableParallelism()} cores`);
const env = args['node-options'] ? { NODE_OPTIONS: args['node-options'] } : {};
const [source, ceilingDestination, destination, bulkDestination, plainBulkDestination] = await Promise.all([
	startDirectus({ version, db, name: 'bench-source', env }),
	startDirectus({ version, db, name: 'bench-ceiling', env }),
	startDirectus({ version, db, name: 'bench-destination', env }),
	startDirectus({ version, db, name: 'bench-bulk-destination', env }),
	startDirectus({ version, db, name: 'bench-plain-bulk-destination', env }),
]);
// The command line's destination, started for its phase.
let cliDestination = null;
const stopAll = () =>
	Promise.all([source, ceilingDestination, destination, bulkDestination, plainBulkDestination, cliDestination].filter(Boolean).map((instance) => instance.stop())).then(stopDatabaseServers);
process.on('SIGINT', () => stopAll().then(() => process.exit(130)));

try {
	const seeding = await phase('seed the source', { source: source.pid }, () => seedBenchmark(source, { rows, files: fileCount(200), largeMegabytes, version, tree }));
	const { counts } = seeding.result;
	const totalRows = Object.entries(counts).filter(([c]) => c !== 'files').reduce((sum, [, n]) => sum + n, 0);
	log(`  ${totalRows} rows: ${Object.entries(counts).map(([c, n]) => `${c} ${n}`).join(', ')}`);

	const api = client(source.url, source.token);
	const target = { baseURL: destination.url, token: destination.token };
	await api.request('POST', '/migration/schema-sync', { baseURL: ceilingDestination.url, token: ceilingDestination.token });
	const ceiling = await phase('ceiling (plain batched POST /items)', { source: source.pid, destination: ceilingDestination.pid }, () => measureCeiling(source, ceilingDestination));
	await ceilingDestination.stop();

	const pids = { source: source.pid, destination: destination.pid };
	const sync = await phase('schema-sync', pids, () => api.request('POST', '/migration/schema-sync', target));
	// Every sample table by name: the user rows (and the files they reference) the ceiling moves too.
	// (`excludedTables: []` would also move Directus' own collections: see README, System data.)
	const scope = { selectedTables: SAMPLE_COLLECTION_NAMES, transport: 'rest', ...JSON.parse(args.scope) };
	const plainDryRun = await phase('dry-run, no artifacts', pids, () => stream(source, 'dry-run', { ...target, scope: { ...scope, artifacts: false } }));
	const dryRun = await phase('dry-run', pids, () => stream(source, 'dry-run', { ...target, scope }));
	const run = await phase('run', pids, () => stream(source, 'run', { ...target, scope }));
	const rerun = await phase('re-run', pids, () => stream(source, 'run', { ...target, scope }));

	// The command line (the source read over its REST API), into a fresh destination it
	// schema-syncs first: over REST, then through the bulk receiver (rows in the API's
	// representation).
	const CLI_PHASES = { rest: 'cli run (REST source, REST destination)', bulk: 'cli run (REST source, bulk receiver)' };
	const cliRuns = {};
	for (const transport of cliBuilt() ? ['rest', 'bulk'] : []) {
		cliDestination = await startDirectus({ version, db, name: `bench-cli-${transport}-destination`, env });
		const cliEnv = { DIRECTUS_FROM_TOKEN: source.token, DIRECTUS_TO_TOKEN: cliDestination.token };
		const endpoints = ['--from', source.url, '--to', cliDestination.url];
		await runCli(['schema-sync', ...endpoints, '--json'], cliEnv);
		const artifactsDir = await mkdtemp(join(tmpdir(), 'tm-bench-cli-artifacts-'));
		const { flags, ignored } = cliFlags({ ...scope, transport }, { artifactsDir });
		if (ignored.length) log(`  cli run: no flag for scope ${ignored.join(', ')}: left out`);
		const cliPids = { source: source.pid, destination: cliDestination.pid, cli: 0 };
		let measured;
		try {
			measured = await phase(CLI_PHASES[transport], cliPids, async () => ({
				summary: await runCli(['run', ...endpoints, ...flags, '--json'], cliEnv, { onSpawn: (pid) => (cliPids.cli = pid) }),
			}));
		} finally {
			await rm(artifactsDir, { recursive: true, force: true });
		}
		const { summary } = measured.result;
		const created = summary.tables.reduce((sum, t) => sum + t.created, 0);
		if (summary.status !== 'completed') throw new Error(`cli run ended ${summary.status}: ${summary.message}`);
		if (summary.transport !== transport) throw new Error(`cli run went over ${summary.transport}, not ${transport}`);
		if (created !== totalRows) throw new Error(`cli run: ${created} row(s) created, not ${totalRows}`);
		cliRuns[transport] = measured;
		await cliDestination.stop();
		cliDestination = null;
	}
	if (!cliBuilt()) log('  cli run: skipped, dist/cli.js is not built');

	const bulkScope = { ...scope, transport: 'bulk' };
	const plainTarget = { baseURL: plainBulkDestination.url, token: plainBulkDestination.token };
	await api.request('POST', '/migration/schema-sync', plainTarget);
	const plainBulkRun = await phase('run (bulk, no artifacts)', { source: source.pid, destination: plainBulkDestination.pid }, () =>
		stream(source, 'run', { ...plainTarget, scope: { ...bulkScope, artifacts: false } }),
	);
	await plainBulkDestination.stop();

	const bulkTarget = { baseURL: bulkDestination.url, token: bulkDestination.token };
	const bulkPids = { source: source.pid, destination: bulkDestination.pid };
	await api.request('POST', '/migration/schema-sync', bulkTarget);
	const bulkRun = await phase('run (bulk)', bulkPids, () => stream(source, 'run', { ...bulkTarget, scope: bulkScope }));
	const bulkRerun = await phase('re-run (bulk)', bulkPids, () => stream(source, 'run', { ...bulkTarget, scope: bulkScope }));

	// 1% of the rows edited on the source, then merged into both destinations, twice.
	const edited = await editForMerge(source, Math.round(totalRows / 100));
	const merge = await phase('merge, 1% edited', pids, () => stream(source, 'run', { ...target, scope: { ...scope, mode: 'merge' } }));
	const mergeAgain = await phase('merge re-run', pids, () => stream(source, 'run', { ...target, scope: { ...scope, mode: 'merge' } }));
	await destination.stop();
	const bulkMerge = await phase('bulk merge, 1% edited', bulkPids, () => stream(source, 'run', { ...bulkTarget, scope: { ...bulkScope, mode: 'merge' } }));
	const bulkMergeAgain = await phase('bulk merge re-run', bulkPids, () => stream(source, 'run', { ...bulkTarget, scope: { ...bulkScope, mode: 'merge' } }));
	const updated = (measured) => measured.result.summary.tables.reduce((sum, t) => sum + t.updated, 0);
	for (const [measured, expected] of [[merge, edited], [mergeAgain, 0], [bulkMerge, edited], [bulkMergeAgain, 0]]) {
		if (updated(measured) !== expected) throw new Error(`${measured.name}: ${updated(measured)} row(s) updated, not ${expected}`);
	}

	for (const { name, result } of [plainDryRun, dryRun, run, rerun, plainBulkRun, bulkRun, bulkRerun, merge, mergeAgain, bulkMerge, bulkMergeAgain]) {
		if (result.summary.status !== 'completed') throw new Error(`${name} ended ${result.summary.status}: ${result.summary.message}`);
		const saved = result.summary.artifacts.status;
		if (saved !== (name.includes('no artifacts') ? 'skipped' : 'saved')) throw new Error(`${name}: artifacts ${saved}: ${result.summary.artifacts.reason}`);
	}

	// Source memory while the large file moved: between its "uploading" and "uploaded" lines.
	let largeFile = null;
	if (largeMegabytes.length) {
		const line = (suffix) => run.result.events.find((e) => e.type === 'step' && e.message.startsWith(`file archive-${largeMegabytes[0]}mb.bin`) && e.message.includes(suffix));
		const [start, end] = [line(': uploading '), line(' uploaded')];
		if (start && end) {
			const [from, to] = [start.t, end.t];
			const window = run.samples.filter((s) => s.t >= from && s.t <= to);
			const before = run.samples.filter((s) => s.t <= from).at(-1) ?? window[0];
			const peak = Math.max(...window.map((s) => s.source), before.source);
			largeFile = { megabytes: largeMegabytes[0], seconds: (to - from) / 1000, sourceRssBefore: before.source, sourceRssPeak: peak, sourceRssGrowth: peak - before.source };
		}
	}

	const ceilingRate = ceiling.result.rows / ceiling.result.seconds;
	const files = run.result.summary.files;
	const rowsOnlySeconds = run.seconds - files.seconds;
	const read = (measured) => measured.result.summary.tables.reduce((sum, t) => sum + t.read, 0);
	const measuredRow = (phase, rows, measured, seconds = measured.seconds) => ({
		phase,
		rows,
		seconds,
		source: measured.peaks.source ?? null,
		destination: measured.peaks.destination ?? null,
		sourceGrowth: measured.growth.source ?? null,
		destinationGrowth: measured.growth.destination ?? null,
	});
	const derivedRow = (phase, rows, seconds) => ({ phase, rows, seconds, source: null, destination: null, sourceGrowth: null, destinationGrowth: null });
	const table = [
		{ ...measuredRow('ceiling', ceiling.result.rows, ceiling, ceiling.result.seconds), source: null, sourceGrowth: null },
		measuredRow('schema-sync', null, sync),
		measuredRow('dry-run, no artifacts', read(plainDryRun), plainDryRun),
		measuredRow('dry-run', read(dryRun), dryRun),
		measuredRow('run', totalRows, run),
		derivedRow('run, rows only', totalRows, rowsOnlySeconds),
		measuredRow('re-run', read(rerun), rerun),
		...Object.entries(cliRuns).map(([transport, measured]) => measuredRow(CLI_PHASES[transport], totalRows, measured)),
		measuredRow('bulk, no artifacts', totalRows, plainBulkRun),
		measuredRow('bulk run', totalRows, bulkRun),
		derivedRow('bulk, rows only', totalRows, bulkRun.seconds - bulkRun.result.summary.files.seconds),
		measuredRow('bulk re-run', read(bulkRerun), bulkRerun),
		measuredRow('merge, 1% edited', read(merge), merge),
		measuredRow('merge re-run', read(mergeAgain), mergeAgain),
		measuredRow('bulk merge, 1% edited', read(bulkMerge), bulkMerge),
		measuredRow('bulk merge re-run', read(bulkMergeAgain), bulkMergeAgain),
	].map((row) => ({ ...row, rowsPerSecond: row.rows ? row.rows / row.seconds : null, ratio: row.rows ? row.rows / row.seconds / ceilingRate : null }));

	const pad = (text, width) => String(text).padStart(width);
	const phaseWidth = Math.max(23, ...table.map((row) => row.phase.length + 2));
	const number = (value, digits = 0) => (value === null || value === undefined ? '-' : value.toFixed(digits));
	log();
	log(`${'phase'.padEnd(phaseWidth)}${pad('rows', 9)}${pad('seconds', 10)}${pad('rows/s', 9)}${pad('× ceiling', 11)}${pad('source MB', 11)}${pad('(+)', 6)}${pad('dest MB', 9)}${pad('(+)', 6)}`);
	for (const row of table) {
		const growth = (value) => (value === null ? '-' : `+${value.toFixed(0)}`);
		log(`${row.phase.padEnd(phaseWidth)}${pad(row.rows ?? '-', 9)}${pad(number(row.seconds, 1), 10)}${pad(number(row.rowsPerSecond), 9)}${pad(number(row.ratio, 2), 11)}${pad(number(row.source), 11)}${pad(growth(row.sourceGrowth), 6)}${pad(number(row.destination), 9)}${pad(growth(row.destinationGrowth), 6)}`);
	}
	log(`files: ${files.migrated} uploaded, ${(files.bytes / 1e6).toFixed(1)} MB in ${files.seconds.toFixed(1)} s: ${files.filesPerSecond.toFixed(1)} files/s, ${files.megabytesPerSecond.toFixed(1)} MB/s`);
	if (largeFile) log(`large file (${largeFile.megabytes} MB): source RSS ${largeFile.sourceRssBefore.toFixed(0)} → ${largeFile.sourceRssPeak.toFixed(0)} MB (+${largeFile.sourceRssGrowth.toFixed(0)}) while it moved (${largeFile.seconds.toFixed(1)} s)`);
	log('per collection (rows/s): run vs ceiling');
	for (const table of run.result.summary.tables) {
		const top = ceiling.result.tables[table.collection];
		const topRate = top ? top.rows / top.seconds : null;
		log(`  ${table.collection.padEnd(24)}${pad(number(table.rowsPerSecond), 8)}${pad(number(topRate), 8)}${pad(topRate ? number(table.rowsPerSecond / topRate, 2) : '-', 7)}`);
	}
	// Where the time goes: each run's summary.timings (seconds per phase, summed over the pages in
	// flight, so they overlap); "transfer" is what the writes took beyond the encoding and the
	// receiver's own time (the request, the body, the answer).
	const timed = [['run', run], ['re-run', rerun], ...Object.entries(cliRuns).map(([transport, measured]) => [`cli run (${transport})`, measured]), ['bulk, no artifacts', plainBulkRun], ['bulk run', bulkRun], ['bulk re-run', bulkRerun], ['bulk merge', bulkMerge]];
	const timingsOf = (measured) => {
		const t = measured.result.summary.timings ?? {};
		const inside = (t.encode ?? 0) + (t.receiverDecode ?? 0) + (t.receiverDatabase ?? 0);
		return { ...t, transfer: t.receiverDatabase === undefined || t.write === undefined ? undefined : t.write - inside, wall: measured.seconds };
	};
	const timingColumns = ['wall', 'sourceRead', 'artifacts', 'checks', 'files', 'encode', 'transfer', 'receiverDecode', 'receiverDatabase', 'write', 'createdWriteBack', 'secondPass'];
	const timings = Object.fromEntries(timed.map(([name, measured]) => [name, timingsOf(measured)]));
	log('where the time goes (seconds per phase, summed over pages in flight; transfer = write − encode − receiver):');
	log(`${''.padEnd(20)}${timingColumns.map((c) => pad(c, Math.max(7, c.length + 1))).join('')}`);
	for (const [name, t] of Object.entries(timings)) {
		log(`${name.padEnd(20)}${timingColumns.map((c) => pad(number(t[c], 1), Math.max(7, c.length + 1))).join('')}`);
	}
	const artifactBytes = (measured) => measured.result.summary.artifacts.files.reduce((sum, f) => sum + f.bytes, 0);
	const artifactsEffect = [
		['dry-run', plainDryRun, dryRun],
		['bulk run', plainBulkRun, bulkRun],
	].map(([name, without, withArtifacts]) => ({
		phase: name,
		seconds: { without: without.seconds, with: withArtifacts.seconds },
		sourcePeak: { without: without.peaks.source, with: withArtifacts.peaks.source },
		sourceGrowth: { without: without.growth.source, with: withArtifacts.growth.source },
		artifactMegabytes: artifactBytes(withArtifacts) / 1e6,
	}));
	for (const effect of artifactsEffect) {
		log(`artifacts, ${effect.phase}: ${effect.seconds.without.toFixed(1)} → ${effect.seconds.with.toFixed(1)} s; source peak ${effect.sourcePeak.without.toFixed(0)} (+${effect.sourceGrowth.without.toFixed(0)}) → ${effect.sourcePeak.with.toFixed(0)} (+${effect.sourceGrowth.with.toFixed(0)}) MB; ${effect.artifactMegabytes.toFixed(1)} MB of artifacts written`);
	}
	// The command line beside the endpoint's run over the same transport (artifacts on in both).
	const endpointRuns = { rest: run, bulk: bulkRun };
	const cli = Object.fromEntries(
		Object.entries(cliRuns).map(([transport, measured]) => [
			transport,
			{
				seconds: measured.seconds,
				rowsPerSecond: totalRows / measured.seconds,
				endpointRunRowsPerSecond: totalRows / endpointRuns[transport].seconds,
				processPeakRss: measured.peaks.cli,
				tables: measured.result.summary.tables,
				files: measured.result.summary.files,
			},
		]),
	);
	for (const [transport, c] of Object.entries(cli)) {
		log(`${CLI_PHASES[transport]}: ${c.rowsPerSecond.toFixed(0)} rows/s in ${c.seconds.toFixed(1)} s, the endpoint's ${transport} run ${c.endpointRunRowsPerSecond.toFixed(0)} rows/s (${(c.rowsPerSecond / c.endpointRunRowsPerSecond).toFixed(2)}×); the command line's peak RSS ${c.processPeakRss.toFixed(0)} MB`);
	}
	log(`ceiling batch size ${ceiling.result.batchSize} (probe rows/s: ${Object.entries(ceiling.result.probeRates).map(([b, r]) => `${b}: ${r.toFixed(0)}`).join(', ')})`);
	const speedup = run.seconds / rerun.seconds;
	const total = (performance.now() - benchStarted) / 1000;
	const ratio = (name) => number(table.find((row) => row.phase === name).ratio, name.startsWith('bulk') ? 1 : 2);
	log(`merge: ${edited} row(s) edited of ${totalRows}: REST ${merge.seconds.toFixed(1)} s (re-run ${mergeAgain.seconds.toFixed(1)} s, plain re-run ${rerun.seconds.toFixed(1)} s), bulk ${bulkMerge.seconds.toFixed(1)} s (re-run ${bulkMergeAgain.seconds.toFixed(1)} s, plain re-run ${bulkRerun.seconds.toFixed(1)} s)`);
	log(`targets: run ≥ 0.8× ceiling: ${ratio('run')} (rows only ${ratio('run, rows only')}); re-run ≥ 5× faster: ${speedup.toFixed(1)}×; bulk ≥ 10× ceiling: ${ratio('bulk run')} (rows only ${ratio('bulk, rows only')}); under 10 minutes: ${total.toFixed(0)} s`);

	const result = {
		date: new Date().toISOString(),
		machine: { cores: availableParallelism(), memoryGigabytes: Math.round(totalmem() / 2 ** 30), node: process.version },
		directus: version,
		database: db,
		requested: { rows, files: fileCount(200), largeMegabytes, scope, nodeOptions: args['node-options'] },
		counts,
		phases: table,
		seeding: { seconds: seeding.seconds },
		ceiling: { batchSize: ceiling.result.batchSize, probeRates: ceiling.result.probeRates, rowsPerSecond: ceilingRate, tables: ceiling.result.tables },
		tables: run.result.summary.tables,
		bulkTables: bulkRun.result.summary.tables,
		bulkFiles: bulkRun.result.summary.files,
		cli,
		files,
		artifacts: artifactsEffect,
		timings,
		largeFile,
		rerunSpeedup: speedup,
		merge: { edited, seconds: { rest: merge.seconds, restAgain: mergeAgain.seconds, bulk: bulkMerge.seconds, bulkAgain: bulkMergeAgain.seconds } },
		totalSeconds: total,
	};
	const dir = join(ROOT, 'bench', 'results');
	await mkdir(dir, { recursive: true });
	const file = join(dir, `${result.date.replace(/[:.]/g, '-')}-directus-${version}-${db}-${rows}-rows.json`);
	await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
	log(`written: ${file}`);
} finally {
	await stopAll();
}
