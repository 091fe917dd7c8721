// The benchmark itself runs end to end at a tiny size, so `npm run bench` keeps working: every
// phase completes and its report is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ROOT, VERSIONS } from '../../scripts/lib/directus.mjs';

test('npm run bench works at a tiny size', async () => {
	const { stdout } = await promisify(execFile)(process.execPath, [`${ROOT}/bench/run.mjs`, '--rows', '600', '--files', '6', '--large', '2', '--version', VERSIONS[0]], {
		cwd: ROOT,
		maxBuffer: 16 * 1024 * 1024,
	});
	assert.match(stdout, /^ceiling\s+\d+/m);
	assert.match(stdout, /^run\s+\d+/m);
	assert.match(stdout, /^files: 6 uploaded/m);
	const written = stdout.match(/^written: (.+\.json)$/m)[1];
	const result = JSON.parse(await readFile(written, 'utf8'));
	assert.equal(result.directus, VERSIONS[0]);
	assert.equal(result.machine.cores > 0, true);
	const phase = (name) => result.phases.find((p) => p.phase === name);
	assert.equal(phase('run').rows, Object.entries(result.counts).filter(([c]) => c !== 'files').reduce((s, [, n]) => s + n, 0));
	assert.ok(phase('run').rowsPerSecond > 0 && phase('ceiling').rowsPerSecond > 0);
	assert.ok(phase('run').source > 0 && phase('run').destination > 0, 'peak RSS was sampled');
	assert.ok(phase('re-run').seconds < phase('run').seconds);
	assert.equal(phase('bulk run').rows, phase('run').rows);
	assert.ok(phase('bulk run').source > 0 && phase('bulk run').destination > 0);
	assert.ok(result.bulkTables.every((t) => t.failed === 0 && t.read === t.created), 'the bulk run moved every row');
	assert.match(stdout, /^where the time goes/m);
	assert.ok(result.timings['bulk run'].receiverDatabase > 0 && result.timings['bulk run'].sourceRead > 0, 'the bulk run said where its time went');
	assert.ok(result.timings.run.createdWriteBack > 0, 'the REST run wrote created dates back');
});

test('npm run bench -- --only bulk runs the bulk transport alone, a tree included', async () => {
	const { stdout } = await promisify(execFile)(process.execPath, [`${ROOT}/bench/run.mjs`, '--only', 'bulk', '--rows', '600', '--tree', '400', '--files', '2', '--version', VERSIONS[0]], {
		cwd: ROOT,
		maxBuffer: 16 * 1024 * 1024,
	});
	assert.match(stdout, /^ {2}bulk run: /m);
	const written = stdout.match(/^written: (.+\.json)$/m)[1];
	const result = JSON.parse(await readFile(written, 'utf8'));
	assert.equal(result.counts.categories, 400);
	const run = result.phases['bulk run'];
	assert.ok(run.secondPass >= 399, `every parent of the tree was set in the second pass (${run.secondPass})`);
	assert.ok(run.peaks.source > 0 && run.peaks.destination > 0, 'peak RSS was sampled');
	assert.ok(run.timings.secondPass > 0);
	assert.ok(result.phases['bulk re-run'].seconds > 0);
});
