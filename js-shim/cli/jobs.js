// @ts-check
// The job table of a command line's run, in memory: the process is the job's whole life (nothing
// to take over after a restart, nothing shared with another process), so the core's job store
// (`MigrationJobStore`, kept in the source's database by the extension) is a list here, with the
// same guards and the same one-job-per-destination lock as the database table. A job's request,
// which holds the destination's token, is never sealed nor kept: `sealText` answers null.

/** @typedef {import('../../target/pkg/table_migration.js').MigrationJobStore} MigrationJobStore */
/** @typedef {import('../../target/pkg/table_migration.js').JobRow} JobRow */

/**
 * The store, and `cancelRunning()`: what the extension's cancel route does, for Ctrl-C (the run
 * stops after the batches in flight and reports what it did).
 * @returns {{ store: MigrationJobStore, cancelRunning: () => number }}
 */
export function memoryJobs() {
	/** @type {JobRow[]} */
	const rows = [];
	const find = (id) => rows.find((row) => row.id === id);
	const held = (lockKey, except) => lockKey !== null && lockKey !== undefined && rows.some((row) => row !== except && row.lockKey === lockKey);
	const matches = (row, guard = {}) =>
		(!('owner' in guard) || (row.owner ?? null) === (guard.owner ?? null)) &&
		(!('status' in guard) || row.status === guard.status) &&
		(!('leaseUntil' in guard) || row.leaseUntil === guard.leaseUntil);
	/** @param {JobRow} row */
	const summary = (row) => {
		const { lines, request, ...rest } = row;
		return rest;
	};

	const cancelRunning = () => {
		const running = rows.filter((row) => row.status === 'running');
		for (const row of running) row.cancelRequested = true;
		return running.length;
	};

	/** @type {MigrationJobStore} */
	const store = {
		async jobInsert(row) {
			if (find(row.id) || held(row.lockKey)) return false;
			rows.push({ ...row, lines: row.lines ?? '[]', state: row.state ?? '{}' });
			return true;
		},
		async jobUpdate(id, guard, set) {
			const row = find(id);
			if (!row || !matches(row, guard ?? {})) return 0;
			if ('lockKey' in (set ?? {}) && held(set.lockKey, row)) return 0;
			for (const [field, value] of Object.entries(set ?? {})) if (value !== undefined) row[field] = value;
			return 1;
		},
		async jobDelete(id, owner) {
			const index = rows.findIndex((row) => row.id === id && row.owner === owner);
			if (index < 0) return 0;
			rows.splice(index, 1);
			return 1;
		},
		async jobGet(id, withLines) {
			const row = find(id);
			if (!row) return null;
			const { lines, ...rest } = row;
			return withLines ? { ...rest, lines } : { ...rest };
		},
		async jobList(limit) {
			return [...rows].sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0)).slice(0, Math.max(0, limit)).map(summary);
		},
		async jobDue(now) {
			return rows.filter((row) => (row.leaseUntil ?? 0) < now && (row.status === 'running' || row.callbackDue)).map((row) => {
				const { lines, ...rest } = row;
				return rest;
			});
		},
		async jobHolding(lockKey) {
			return rows.find((row) => row.lockKey === lockKey)?.id ?? null;
		},
		// One process, one run: nothing to prune.
		async jobPrune() {
			return 0;
		},
		async sealText() {
			return null;
		},
		async unsealText() {
			throw Object.assign(new Error('a command line run keeps no request to take up again'), { name: 'MigrationError', code: 'JOB_UNSEALABLE', status: 409 });
		},
	};
	return { store, cancelRunning };
}
