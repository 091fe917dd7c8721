// @ts-check
// The table the jobs are kept in, in the source's own database: `table_migration_jobs`, made with
// knex's schema builder on SQLite, PostgreSQL and MySQL/MariaDB when the endpoint registers, and
// brought up to date (a column it lacks is added) when an older extension made it. Directus never
// sees it as a collection (it is not in directus_collections, and the core leaves it out of every
// table list).
//
// Several processes of the same instance may start at once: whichever creates the table first
// wins, the others hear "already exists" (or, on PostgreSQL, a duplicate key of its catalog) and
// look again.
import { isMysql } from './vendor.js';

export const JOBS_TABLE = 'table_migration_jobs';

/** A text column: LONGTEXT on MySQL/MariaDB (TEXT holds 64 KiB there), TEXT elsewhere. */
const text = (table, name) => table.text(name, 'longtext');

/**
 * Every column, in order: `add(table, migrating)` adds it to a table being created, or (with
 * `migrating`) to an existing one, where a NOT NULL column needs a default for the rows already
 * there (a text one is added NULL: MySQL before 8.0.13 gives TEXT no default; the store reads a
 * missing text as its empty value).
 * @type {[string, (table: any, migrating?: boolean) => any][]}
 */
const COLUMNS = [
	['id', (t) => t.string('id', 64).primary()],
	['kind', (t, m) => withDefault(t.string('kind', 16).notNullable(), m, '')],
	['status', (t, m) => withDefault(t.string('status', 32).notNullable(), m, '')],
	['destination', (t, m) => withDefault(t.string('destination', 255).notNullable(), m, '')],
	['lock_key', (t) => t.string('lock_key', 255).nullable().unique({ indexName: 'table_migration_jobs_lock_key_unique' })],
	['owner', (t) => t.string('owner', 160).nullable()],
	['lease_until', (t) => t.bigInteger('lease_until').notNullable().defaultTo(0)],
	['started_by', (t) => t.string('started_by', 64).nullable()],
	['started_at', (t, m) => withDefault(t.bigInteger('started_at').notNullable(), m, 0)],
	['ended_at', (t) => t.bigInteger('ended_at').nullable()],
	['updated_at', (t, m) => withDefault(t.bigInteger('updated_at').notNullable(), m, 0)],
	['cancel_requested', (t) => t.boolean('cancel_requested').notNullable().defaultTo(false)],
	['resumed', (t) => t.integer('resumed').notNullable().defaultTo(0)],
	['callback_due', (t) => t.boolean('callback_due').notNullable().defaultTo(false)],
	['request', (t) => text(t, 'request').nullable()],
	['state', (t, m) => (m ? text(t, 'state').nullable() : text(t, 'state').notNullable())],
	['lines', (t, m) => (m ? text(t, 'lines').nullable() : text(t, 'lines').notNullable())],
];

/** The names of the columns, as the database has them. */
export const JOB_COLUMNS = COLUMNS.map(([name]) => name);

function withDefault(column, migrating, value) {
	return migrating ? column.defaultTo(value) : column;
}

/** Whether `error` says the table, an index or a column is there already (another process made it). */
function alreadyThere(error) {
	const code = String(error?.code ?? '');
	const errno = Number(error?.errno);
	// PostgreSQL: duplicate table / object / column, or two CREATE TABLE racing on its catalog (23505).
	if (['42P07', '42710', '42701', '23505'].includes(code)) return true;
	// MySQL/MariaDB: ER_TABLE_EXISTS_ERROR, ER_DUP_FIELDNAME, ER_DUP_KEYNAME.
	if ([1050, 1060, 1061].includes(errno) || ['ER_TABLE_EXISTS_ERROR', 'ER_DUP_FIELDNAME', 'ER_DUP_KEYNAME'].includes(code)) return true;
	return /already exists|duplicate column name/i.test(String(error?.message ?? ''));
}

/** SQLite's "database is locked" while another process writes. */
export function isBusy(error) {
	return String(error?.code ?? '') === 'SQLITE_BUSY' || /SQLITE_BUSY|database is locked/.test(String(error?.message ?? ''));
}

async function create(database) {
	const build = (schema) =>
		schema.createTable(JOBS_TABLE, (table) => {
			for (const [, add] of COLUMNS) add(table, false);
			table.index(['status'], 'table_migration_jobs_status_index');
			table.index(['lease_until'], 'table_migration_jobs_lease_until_index');
		});
	// PostgreSQL and SQLite make the table and its indexes in one transaction: all or nothing.
	if (isMysql(database)) await build(database.schema);
	else await database.transaction((trx) => build(trx.schema));
}

/** Add the columns an older table lacks; resolves to their names. */
async function migrate(database) {
	const present = new Set(Object.keys(await database(JOBS_TABLE).columnInfo()).map((name) => name.toLowerCase()));
	const missing = COLUMNS.filter(([name]) => !present.has(name));
	for (const [name, add] of missing) {
		try {
			await database.schema.alterTable(JOBS_TABLE, (table) => add(table, true));
		} catch (error) {
			if (!alreadyThere(error)) throw error;
		}
	}
	return missing.map(([name]) => name);
}

/**
 * Make `table_migration_jobs` when it is missing, add what it lacks when it is there. Resolves to
 * `{ created, added }` (whether this call made it, the columns it added).
 */
export async function ensureJobsTable(database) {
	for (let attempt = 1; ; attempt += 1) {
		try {
			if (await database.schema.hasTable(JOBS_TABLE)) return { created: false, added: await migrate(database) };
			await create(database);
			return { created: true, added: [] };
		} catch (error) {
			if (attempt >= 5 || !(alreadyThere(error) || isBusy(error))) throw error;
			await new Promise((resolve) => setTimeout(resolve, 25 * attempt + Math.floor(Math.random() * 25)));
		}
	}
}
