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
});
