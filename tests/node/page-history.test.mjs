// How the admin page's Past runs panel words a job of GET /migration/jobs, in plain Node: status
// labels and their colours, long table lists shortened, relative and absolute times, and who
// started a run (name, else e-mail, else the user id).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { absoluteTime, kindLabel, relativeTime, shortTables, statusLabel, userLabel } from '../../js-shim/module/utils/history.js';

test('every status the endpoint reports has a label and a theme colour', () => {
	assert.deepEqual(statusLabel('running'), { text: 'Running', colour: 'primary' });
	assert.deepEqual(statusLabel('completed'), { text: 'Completed', colour: 'success' });
	assert.deepEqual(statusLabel('completed with errors'), { text: 'Completed with errors', colour: 'warning' });
	assert.deepEqual(statusLabel('cancelled'), { text: 'Cancelled', colour: 'warning' });
	assert.deepEqual(statusLabel('failed'), { text: 'Failed', colour: 'danger' });
	assert.deepEqual(statusLabel('paused'), { text: 'Paused', colour: 'neutral' }, 'an unknown one as it is');
	assert.deepEqual(statusLabel(undefined), { text: 'Unknown', colour: 'neutral' });
	assert.equal(kindLabel('dry-run'), 'Dry run');
	assert.equal(kindLabel('run'), 'Migration');
});

test('tables: up to four named, more shortened to three and a count; all of them for the hover', () => {
	assert.deepEqual(shortTables(['a', 'b']), { text: 'a, b', all: 'a, b', more: 0 });
	assert.deepEqual(shortTables(['a', 'b', 'c', 'd']), { text: 'a, b, c, d', all: 'a, b, c, d', more: 0 });
	assert.deepEqual(shortTables(['a', 'b', 'c', 'd', 'e', 'f']), { text: 'a, b, c +3 more', all: 'a, b, c, d, e, f', more: 3 });
	assert.deepEqual(shortTables(null), { text: '', all: '', more: 0 });
});

test('times: relative to now, and in full for the hover', () => {
	const now = Date.parse('2026-12-03T12:00:00.000Z');
	assert.equal(relativeTime('2026-12-03T11:59:40.000Z', now, 'en'), 'just now');
	assert.equal(relativeTime('2026-12-03T11:55:00.000Z', now, 'en'), '5 minutes ago');
	assert.equal(relativeTime('2026-12-03T09:00:00.000Z', now, 'en'), '3 hours ago');
	assert.equal(relativeTime('2026-12-02T12:00:00.000Z', now, 'en'), 'yesterday');
	assert.equal(relativeTime('2026-11-19T12:00:00.000Z', now, 'en'), '2 weeks ago');
	assert.equal(relativeTime('not a date', now, 'en'), '–');
	assert.match(absoluteTime('2026-12-03T11:55:00.000Z', 'en'), /Dec 3, 2026/);
	assert.equal(absoluteTime(null), '');
});

test('who started it: the name (e-mail on hover), else the e-mail, else the id', () => {
	const id = '6f1c2a3e-0000-4000-8000-000000000001';
	assert.deepEqual(userLabel({ first_name: 'Admin', last_name: 'User', email: 'admin@example.com' }, id), { text: 'Admin User', title: 'admin@example.com' });
	assert.deepEqual(userLabel({ first_name: null, last_name: null, email: 'a@b.c' }, id), { text: 'a@b.c', title: id });
	assert.deepEqual(userLabel({ first_name: 'Ann', last_name: ' ' }, id), { text: 'Ann', title: id });
	assert.deepEqual(userLabel(null, id), { text: id, title: id });
});
