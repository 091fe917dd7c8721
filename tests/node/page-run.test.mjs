// The admin page's reading of a run's events in plain Node: the bar's total comes from the
// `planned` event, row counts stay out of the log, a heartbeat is an indicator and not a log line,
// a job's replayed older lines never lower the counts, and the report ends the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent, progressOf, quietFor, resetRun, runState } from '../../js-shim/module/composables/use-run.js';

const rows = (collection, total, read) => ({ type: 'rows', collection, total, read, created: read, skipped: 0, failed: 0, message: `${collection}: ${read}/${total} rows read` });

test('planned totals, rows, heartbeat, table done and the report', () => {
	resetRun({ phase: 'running', startedAt: Date.now() - 10_000 });
	applyEvent({ type: 'job', processId: 'migration_1_abcdefghijkl', kind: 'run', message: 'Job migration_1_abcdefghijkl (run)' });
	applyEvent({
		type: 'planned',
		collections: [{ collection: 'articles', total: 1000 }, { collection: 'articles_translations', total: 2000 }],
		totalRows: 3000,
		message: 'Migrating 2 collection(s), 3000 row(s), to http://d (batches of 5, 4 in flight)',
	});
	assert.equal(runState.processId, 'migration_1_abcdefghijkl');
	assert.equal(progressOf().total, 3000);
	assert.deepEqual(Object.keys(runState.tables), ['articles', 'articles_translations'], 'every planned table shows from the start');

	applyEvent(rows('articles', 1000, 40));
	assert.equal(progressOf().done, 40);
	assert.equal(runState.log.length, 2, 'row counts are not log lines');

	applyEvent({ type: 'heartbeat', message: 'Still working: Migrating … (40 of 3000 row(s) read, 4 rows/s)' });
	applyEvent({ type: 'heartbeat', message: 'Still working: Migrating … (40 of 3000 row(s) read, 3 rows/s)' });
	assert.equal(runState.log.length, 2, 'heartbeats are not log lines');
	assert.match(runState.heartbeat.message, /^Still working: .*3 rows\/s/);
	runState.now = runState.lastEventAt + 17_000;
	assert.equal(quietFor(), 17);

	applyEvent(rows('articles', 1000, 60));
	assert.equal(runState.heartbeat, null, 'progress ends the quiet spell');

	applyEvent({ type: 'rowFailed', collection: 'articles', key: 7, message: 'articles 7 failed: no' });
	applyEvent({ type: 'tableDone', report: { collection: 'articles', read: 1000, created: 999, skipped: 0, failed: 1 }, message: 'Done articles' });
	assert.equal(runState.tables.articles.done, true);
	assert.equal(runState.log.find((line) => line.message.startsWith('articles 7')).level, 'error');

	applyEvent({ type: 'summary', status: 'cancelled', processId: 'migration_1_abcdefghijkl', seconds: 20, rowsPerSecond: 50, message: 'Migration cancelled' });
	assert.equal(runState.phase, 'done');
	assert.equal(runState.report.status, 'cancelled');
	assert.equal(runState.log.at(-1).message, 'Done articles', 'the report is the summary, not a log line');
	const p = progressOf();
	assert.deepEqual([p.done, p.total, p.elapsed, p.rate], [1000, 3000, 20, 50]);
	assert.ok(Number.isNaN(p.left), 'a run that stopped short has no time left');
});

test('a job\'s replayed lines never lower the counts the page already has', () => {
	resetRun({ phase: 'running', processId: 'migration_1_abcdefghijkl' });
	applyEvent(rows('tags', 30, 25));
	applyEvent(rows('tags', 30, 10)); // an older line, replayed by /events
	assert.equal(runState.tables.tags.read, 25);
	applyEvent(rows('tags', 30, 30));
	assert.equal(runState.tables.tags.read, 30);
});

test('Delete missing: deleted events count per table (a replay never adds twice), and a dry run\'s report lists what to confirm', async () => {
	const { rowDeletionsOf } = await import('../../js-shim/module/utils/deletions.js');
	resetRun({ phase: 'running', kind: 'dry-run', processId: 'migration_1_abcdefghijkl' });
	applyEvent(rows('tags', 3, 3));
	applyEvent({ type: 'deleted', collection: 'tags', keys: [2, 9], deleted: 2, dryRun: true, message: 'tags: 2 row(s) the source no longer has to delete: 2, 9' });
	applyEvent({ type: 'deleted', collection: 'tags', keys: [2, 9], deleted: 2, dryRun: true, message: 'replayed' });
	assert.equal(runState.tables.tags.deleted, 2);
	assert.match(runState.log.at(-1).message, /^replayed$/, 'a log line like any other');
	const report = {
		tables: [
			{ collection: 'tags', deleted: 2, deletedKeys: [2, 9] },
			{ collection: 'articles', deleted: 0 },
			{ collection: 'categories', deleted: 12, deletedKeys: ['c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'c-6', 'c-7', 'c-8', 'c-9', 'c-10', 'c-11', 'c-12'] },
		],
	};
	assert.deepEqual(rowDeletionsOf(report), [
		{ collection: 'tags', count: 2, keys: ['2', '9'] },
		{ collection: 'categories', count: 12, keys: ['c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'c-6', 'c-7', 'c-8', 'c-9', 'c-10', 'and 2 more'] },
	]);
	assert.deepEqual(rowDeletionsOf(null), []);
});
