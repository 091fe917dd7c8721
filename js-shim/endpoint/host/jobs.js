// @ts-check
// The jobs, kept in the source's own database (`table_migration_jobs`, see jobs-table.js), so that
// every process of the instance sees them and a job outlives the process that ran it. The host
// methods the core calls (`jobInsert` … `jobPrune`, `jobDelete`): the core decides everything
// (who holds a job, when a lease has expired, what to keep); this file only reads and writes rows,
// the same way on SQLite, PostgreSQL and MySQL/MariaDB:
// - rows go out in camelCase with numbers as numbers (PostgreSQL's bigints arrive as text) and
//   booleans as booleans (SQLite and MySQL give 0/1);
// - a unique violation (the id, or a lock on the destination another job holds) is an answer, not
//   an error: `false` or `0`;
// - SQLite shared by two processes may answer SQLITE_BUSY: a call is tried again a few times.
// And `sealText`/`unsealText`: a job's request sealed under SECRET (seal.js), since it holds the
// destination's token.
import { JOBS_TABLE, ensureJobsTable, isBusy } from './jobs-table.js';
import { openText, sealText } from './seal.js';
import { databaseError } from './store.js';

export { ensureJobsTable, JOBS_TABLE } from './jobs-table.js';

/** camelCase field → column. */
const FIELDS = {
	id: 'id',
	kind: 'kind',
	status: 'status',
	destination: 'destination',
	lockKey: 'lock_key',
	owner: 'owner',
	leaseUntil: 'lease_until',
	startedBy: 'started_by',
	startedAt: 'started_at',
	endedAt: 'ended_at',
	updatedAt: 'updated_at',
	cancelRequested: 'cancel_requested',
	resumed: 'resumed',
	callbackDue: 'callback_due',
	request: 'request',
	state: 'state',
	lines: 'lines',
};
const NUMBERS = new Set(['leaseUntil', 'startedAt', 'endedAt', 'updatedAt', 'resumed']);
const BOOLEANS = new Set(['cancelRequested', 'callbackDue']);
/** What each read selects: every column, or all but the bulky ones. */
const ALL = Object.values(FIELDS);
const WITHOUT_LINES = ALL.filter((column) => column !== 'lines');
const SUMMARY = WITHOUT_LINES.filter((column) => column !== 'request');
/** The label of the key that seals a job's request (an artifact's key has another). */
const REQUEST_INFO = 'table-migration job request';
const TRIES = 6;

/** A job's fields (any subset) as columns; an unknown field is a mistake of the caller. */
function toColumns(fields) {
	const row = {};
	for (const [field, value] of Object.entries(fields ?? {})) {
		const column = FIELDS[field];
		if (!column) throw new TypeError(`table_migration_jobs has no field ${field}`);
		if (value === undefined) continue;
		row[column] = BOOLEANS.has(field) ? Boolean(value) : value;
	}
	return row;
}

const truthy = (value) => value === true || value === 1 || value === '1' || value === 't';

const has = (record, name) => Object.prototype.hasOwnProperty.call(record, name);

/** A row read from the database as a JobRow; `lines` is null unless it was selected. */
function toJob(record) {
	const job = {};
	for (const [field, column] of Object.entries(FIELDS)) {
		const value = record[column];
		if (NUMBERS.has(field)) job[field] = value === null || value === undefined ? (field === 'endedAt' ? null : 0) : Number(value);
		else if (BOOLEANS.has(field)) job[field] = truthy(value);
		else job[field] = value ?? null;
	}
	// Columns a migrated table added NULL (jobs-table.js) read as their empty value.
	job.state ??= '{}';
	if (has(record, 'lines')) job.lines ??= '[]';
	return job;
}

/** Whether `error` is a unique (or primary key) violation. */
export function isUniqueViolation(error) {
	const code = String(error?.code ?? '');
	if (code === 'SQLITE_CONSTRAINT') return /UNIQUE|PRIMARY KEY/i.test(String(error?.message ?? ''));
	return code === '23505' || code === 'ER_DUP_ENTRY' || Number(error?.errno) === 1062;
}

/** `work()`, tried again while SQLite is busy (another process writes), with a short backoff. */
async function retrying(work) {
	for (let attempt = 1; ; attempt += 1) {
		try {
			return await work();
		} catch (error) {
			// The database's own words: knex's message quotes the statement with its values.
			if (attempt >= TRIES || !isBusy(error)) throw error instanceof TypeError ? error : databaseError(error);
			await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt + Math.floor(Math.random() * 20)));
		}
	}
}

/** A non-negative integer argument, or a TypeError. */
function count(value, name) {
	const number = Number(value);
	if (!Number.isFinite(number) || number < 0) throw new TypeError(`${name} must be a non-negative number`);
	return Math.floor(number);
}

/** The rows a guard lets through: `id`, and `owner` (null: no owner), `status`, `leaseUntil` when given. */
function guarded(query, id, guard = {}) {
	query.where('id', id);
	if (guard && 'owner' in guard) {
		if (guard.owner === null || guard.owner === undefined) query.whereNull('owner');
		else query.where('owner', guard.owner);
	}
	if (guard && 'status' in guard) query.where('status', guard.status);
	if (guard && 'leaseUntil' in guard) query.where('lease_until', guard.leaseUntil);
	return query;
}

/** Rows that may be deleted: ended, with no callback still to deliver. */
const prunable = (query) => query.whereNot('status', 'running').where('callback_due', false);

/** The job table of each database (knex), made once per process: every store call waits for it. */
const made = new WeakMap();

/**
 * `table_migration_jobs` on `database`, made or brought up to date once (see ensureJobsTable); a
 * failure is not kept, so the next call tries again.
 */
export function jobsTableReady(database) {
	if (typeof database !== 'function') return Promise.reject(new Error('the endpoint has no database (knex) to keep its jobs in'));
	let ready = made.get(database);
	if (!ready) {
		ready = ensureJobsTable(database);
		made.set(database, ready);
		ready.catch(() => made.delete(database));
	}
	return ready;
}

/**
 * The job table's half of the core's `MigrationJobStore` (`jobSealing` is the other).
 * @typedef {Omit<import('../../../target/pkg/table_migration.js').MigrationJobStore, 'sealText' | 'unsealText'>} JobTable
 */

/**
 * `database` (knex) → the core's job store. No call runs before the table is there.
 * @returns {JobTable}
 */
export function jobStore(database) {
	const store = jobStoreOf(database);
	// The same calls, each after the table is ready: the same shape.
	return /** @type {JobTable} */ (
		/** @type {unknown} */ (Object.fromEntries(
			Object.entries(/** @type {Record<string, (...args: any[]) => Promise<unknown>>} */ (store)).map(([name, call]) => [name, async (...args) => (await jobsTableReady(database), call(...args))]),
		))
	);
}

/** @returns {JobTable} */
function jobStoreOf(database) {
	const jobs = () => database(JOBS_TABLE);
	return {
		async jobInsert(row) {
			return retrying(async () => {
				try {
					await jobs().insert(toColumns(row));
					return true;
				} catch (error) {
					if (isUniqueViolation(error)) return false;
					throw error;
				}
			});
		},

		async jobUpdate(id, guard, set) {
			const changes = toColumns(set);
			return retrying(async () => {
				if (Object.keys(changes).length === 0) {
					const [{ n }] = await guarded(jobs(), id, guard).count({ n: '*' });
					return Number(n);
				}
				try {
					return Number(await guarded(jobs(), id, guard).update(changes));
				} catch (error) {
					if (isUniqueViolation(error)) return 0;
					throw error;
				}
			});
		},

		async jobDelete(id, owner) {
			return retrying(async () => Number(await jobs().where({ id, owner }).delete()));
		},

		async jobGet(id, withLines) {
			const record = await retrying(() => jobs().select(withLines ? ALL : WITHOUT_LINES).where('id', id).first());
			return record ? toJob(record) : null;
		},

		async jobList(limit) {
			const n = count(limit, 'limit');
			if (n === 0) return [];
			const records = await retrying(() => jobs().select(SUMMARY).orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(n));
			return records.map(toJob);
		},

		async jobDue(now) {
			const records = await retrying(() =>
				jobs()
					.select(WITHOUT_LINES)
					.where('lease_until', '<', Number(now))
					.andWhere((q) => q.where('status', 'running').orWhere('callback_due', true))
					.orderBy([{ column: 'started_at', order: 'asc' }, { column: 'id', order: 'asc' }]),
			);
			return records.map(toJob);
		},

		async jobHolding(lockKey) {
			const record = await retrying(() => jobs().select('id').where('lock_key', lockKey).first());
			return record ? String(record.id) : null;
		},

		// Ended jobs older than `endedBefore`, and those beyond the newest `keep` ended ones; never a
		// running job nor one whose final callback is still to be delivered.
		async jobPrune(endedBefore, keep) {
			const before = Number(endedBefore);
			const kept = count(keep, 'keep');
			return retrying(async () => {
				let deleted = Number(await prunable(jobs()).where('ended_at', '<', before).delete());
				// The first ended job past the newest `kept`: it and every older one go.
				const first = await jobs()
					.select('ended_at', 'id')
					.whereNot('status', 'running')
					.whereNotNull('ended_at')
					.orderBy([{ column: 'ended_at', order: 'desc' }, { column: 'id', order: 'desc' }])
					.offset(kept)
					.first();
				if (first) {
					const endedAt = Number(first.ended_at);
					deleted += Number(
						await prunable(jobs())
							.whereNotNull('ended_at')
							.andWhere((q) => q.where('ended_at', '<', endedAt).orWhere((tie) => tie.where('ended_at', endedAt).where('id', '<=', first.id)))
							.delete(),
					);
				}
				return deleted;
			});
		},
	};
}

/**
 * `sealText`/`unsealText` under the instance's SECRET: null (sealed) / JOB_UNSEALABLE without it.
 * @returns {Pick<import('../../../target/pkg/table_migration.js').MigrationJobStore, 'sealText' | 'unsealText'>}
 */
export function jobSealing(secret) {
	const usable = typeof secret === 'string' && secret !== '';
	return {
		async sealText(text) {
			return usable ? sealText(secret, String(text), REQUEST_INFO) : null;
		},
		async unsealText(sealed) {
			const opened = usable ? openText(secret, String(sealed ?? ''), REQUEST_INFO) : null;
			if (opened === null) {
				const reason = usable ? 'it was sealed under another SECRET, or altered' : 'SECRET is not set on this instance';
				throw Object.assign(new Error(`the job's request cannot be unsealed: ${reason}`), { name: 'MigrationError', code: 'JOB_UNSEALABLE', status: 409 });
			}
			return opened;
		},
	};
}
