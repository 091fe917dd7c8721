// The bulk transport alone, at sizes the REST phases of bench/run.mjs would take hours on:
// `npm run bench -- --only bulk` (and any run from 500,000 rows up).
//
//   node bench/run.mjs --only bulk [--rows 200000] [--tree 1000000] [--files 20] [--version 11.17.4] [--db sqlite]
//
// Seeds the source straight into its database (`--rows` spread over the sample tables as in
// bench/run.mjs, and `--tree` categories: one self-referencing table whose every parent the run
// holds back for its second pass), then a bulk run with artifacts into a fresh destination and a
// re-run. Prints rows/s, where the time went (summary.timings), and the resident memory growth of
// both processes during each run; writes the same as JSON under bench/results/.
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { startDirectus, ROOT } from '../scripts/lib/directus.mjs';
import { stopDatabaseServers } from '../scripts/lib/databases.mjs';
import { client } from '../scripts/lib/api.mjs';
import { SAMPLE_COLLECTION_NAMES } from '../scripts/lib/sample-schema.mjs';
import { seedBenchmark } from './dataset.mjs';
import { sampleRss } from './rss.mjs';

const log = (line = '') => process.stdout.write(`${line}\n`);

/** One run of the migration, waited for as JSON (the summary), with its memory samples. */
async function measuredRun(source, destination, body) {
	const sampler = sampleRss({ source: source.pid, destination: destination.pid }, 200);
	const started = performance.now();
	const res = await fetch(`${source.url}/migration/run`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${source.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
		body: JSON.stringify(body),
	});
	const summary = await res.json();
	const seconds = (performance.now() - started) / 1000;
	const { peaks, growth } = sampler.stop();
	if (summary.status !== 'completed') throw new Error(`the run ended ${summary.status}: ${summary.message ?? JSON.stringify(summary).slice(0, 500)}`);
	return { seconds, peaks, growth, summary };
}

export async function benchBulk({ rows, tree, files, version, db, scope, env }) {
	log(`Bulk benchmark: Directus ${version}, ${db}, ${rows} rows${tree ? ` + a ${tree}-row tree` : ''}, ${files} files, ${availableParallelism()} cores`);
	const [source, destination] = await Promise.all([
		startDirectus({ version, db, name: 'bench-source', env }),
		startDirectus({ version, db, name: 'bench-bulk-destination', env }),
	]);
	try {
		const seedStarted = performance.now();
		const { counts } = await seedBenchmark(source, { rows, files, largeMegabytes: [], version, tree });
		const total = Object.entries(counts).filter(([c]) => c !== 'files').reduce((sum, [, n]) => sum + n, 0);
		log(`  seeded ${total} rows in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s: ${Object.entries(counts).map(([c, n]) => `${c} ${n}`).join(', ')}`);
		const target = { baseURL: destination.url, token: destination.token };
		await client(source.url, source.token).request('POST', '/migration/schema-sync', target);
		const body = { ...target, scope: { selectedTables: SAMPLE_COLLECTION_NAMES, transport: 'bulk', ...scope } };
		const phases = {};
		for (const name of ['bulk run', 'bulk re-run']) {
			const measured = await measuredRun(source, destination, body);
			const created = measured.summary.tables.reduce((sum, t) => sum + t.created, 0);
			if (name === 'bulk run' && created !== total) throw new Error(`${name}: ${created} rows created, not ${total}`);
			if (name === 'bulk re-run' && created !== 0) throw new Error(`${name}: ${created} rows created, not 0`);
			const second = measured.summary.tables.reduce((sum, t) => sum + t.secondPass, 0);
			phases[name] = { seconds: measured.seconds, rowsPerSecond: total / measured.seconds, peaks: measured.peaks, growth: measured.growth, secondPass: second, timings: measured.summary.timings ?? {}, filesSeconds: measured.summary.files.seconds };
			log(`  ${name}: ${measured.seconds.toFixed(1)} s, ${(total / measured.seconds).toFixed(0)} rows/s; second pass set ${second} reference(s); source RSS ${measured.peaks.source.toFixed(0)} MB (+${measured.growth.source.toFixed(0)}), destination ${measured.peaks.destination.toFixed(0)} MB (+${measured.growth.destination.toFixed(0)})`);
			log(`    where the time went (s, summed over pages in flight): ${Object.entries(measured.summary.timings ?? {}).map(([phase, s]) => `${phase} ${s.toFixed(1)}`).join(', ')}`);
		}
		const result = {
			date: new Date().toISOString(),
			machine: { cores: availableParallelism(), memoryGigabytes: Math.round(totalmem() / 2 ** 30), node: process.version },
			directus: version,
			database: db,
			requested: { rows, tree, files, scope },
			counts,
			rows: total,
			phases,
		};
		const dir = join(ROOT, 'bench', 'results');
		await mkdir(dir, { recursive: true });
		const file = join(dir, `${result.date.replace(/[:.]/g, '-')}-bulk-directus-${version}-${db}-${total}-rows.json`);
		await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
		log(`written: ${file}`);
	} finally {
		await Promise.all([source.stop(), destination.stop()]);
		await stopDatabaseServers();
	}
}
