// @ts-check
// This instance's own tables, written through knex for the bulk receiver. The receiver (in the
// core) checks every batch against `describeTable` and decides what to write.
import { bindable, columnBindings, exactNumbers, exactReadOptions, exactSelection } from './vendor.js';

/** knex errors quote the whole statement with its values: keep the database's own message. */
export function databaseError(error) {
	const message = String(error?.message ?? error);
	return Object.assign(new Error(message.includes(' - ') ? message.slice(message.lastIndexOf(' - ') + 3) : message), { code: error?.code, errno: error?.errno });
}

/**
 * `{ database, services, schema() }` → the core's `MigrationStore`.
 * @returns {import('../../../target/pkg/table_migration.js').MigrationStore}
 */
export function receivingStore({ database, services, schema }) {
	/**
	 * A batch's rows as this database stores them. Rows in the API's representation (a source
	 * read through its REST API: the command line) get what Directus does to an item it writes —
	 * its own PayloadService's conversions of dates and geometries for this database — and
	 * nothing else (no specials: the values are the source's, created dates included).
	 * @param {import('../../../target/pkg/table_migration.js').RowsWrite} write
	 */
	async function stored({ collection, columns, rows, representation }) {
		if (representation !== 'api' || rows.length === 0) return rows;
		const overview = await schema();
		const fields = overview.collections[collection]?.fields ?? {};
		const entries = columns.filter((column) => fields[column]).map((column) => [column, fields[column]]);
		const payloads = rows.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i]])));
		const service = new services.PayloadService(collection, { knex: database, schema: overview });
		service.processGeometries(entries, payloads, 'create');
		service.processDates(entries, payloads, 'create');
		return payloads.map((payload) => columns.map((column) => payload[column]));
	}

	return {
		async databaseClient() {
			return String(database.client.config.client);
		},

		async describeTable(collection) {
			const table = (await schema()).collections[collection];
			if (!table) return null;
			const fields = Object.values(table.fields).map((field) => ({ field: field.field, type: field.type, defaultValue: field.defaultValue ?? null }));
			return JSON.stringify({ collection, primaryKey: table.primary, fields });
		},

		async existingKeys({ collection, primaryKey, keys }) {
			const rows = await database.select(primaryKey).from(collection).whereIn(primaryKey, keys);
			return JSON.stringify(rows.map((row) => row[primaryKey]));
		},

		async keysWithNull({ collection, primaryKey, keys }, field) {
			const rows = await database.select(primaryKey).from(collection).whereIn(primaryKey, keys).whereNull(field);
			return JSON.stringify(rows.map((row) => row[primaryKey]));
		},

		async insertRows(write) {
			const { collection, columns } = write;
			const rows = await stored(write);
			const bindings = columnBindings(database, (await schema()).collections[collection], columns);
			// One multi-row VALUES statement per chunk, built here: knex's own builder turns rows into
			// objects and, on SQLite, into a compound SELECT of at most 500 terms. SQLite binds at
			// most 32,766 variables per statement (PostgreSQL and MySQL 65,535). Names go as `??`
			// bindings: knex quotes them.
			const chunk = Math.max(1, Math.floor(30_000 / Math.max(1, columns.length)));
			const head = `insert into ?? (${columns.map(() => '??').join(', ')}) values `;
			const tuple = `(${columns.map(() => '?').join(', ')})`;
			await database.transaction(async (trx) => {
				for (let i = 0; i < rows.length; i += chunk) {
					const part = rows.slice(i, i + chunk);
					const values = part.flatMap((row) => bindable(row, bindings));
					await trx.raw(head + Array(part.length).fill(tuple).join(', '), [collection, ...columns, ...values]);
				}
			}).catch((error) => {
				throw databaseError(error);
			});
		},

		// One statement per chunk of rows, each column set by key:
		// `update t set c = case k when ? then ? … else c end where k in (…)`. The `else c` gives
		// PostgreSQL the column's type for the values bound.
		async updateRows(write) {
			const { collection, primaryKey, columns } = write;
			const rows = await stored(write);
			const bindings = columnBindings(database, (await schema()).collections[collection], columns);
			const at = columns.indexOf(primaryKey);
			const set = columns.map((column, i) => [column, i]).filter(([column]) => column !== primaryKey);
			if (at < 0 || set.length === 0) return;
			const chunk = Math.max(1, Math.floor(30_000 / (2 * set.length + 1)));
			await database.transaction(async (trx) => {
				for (let start = 0; start < rows.length; start += chunk) {
					const part = rows.slice(start, start + chunk).map((row) => bindable(row, bindings));
					const whens = Array(part.length).fill('when ? then ?').join(' ');
					const sql = `update ?? set ${set.map(() => `?? = case ?? ${whens} else ?? end`).join(', ')} where ?? in (${Array(part.length).fill('?').join(', ')})`;
					/** @type {unknown[]} */
					const values = [collection];
					for (const [column, i] of set) {
						values.push(column, primaryKey);
						for (const row of part) values.push(row[at], row[i]);
						values.push(column);
					}
					values.push(primaryKey, ...part.map((row) => row[at]));
					await trx.raw(sql, values);
				}
			}).catch((error) => {
				throw databaseError(error);
			});
		},

		// The verification's reads: rows as stored, by key, read as exactly as the source's bulk reads.
		async readRows({ collection, primaryKey, columns, keys }) {
			const table = (await schema()).collections[collection];
			const rows = await database.select(exactSelection(database, table, columns)).from(collection).whereIn(primaryKey, keys).options(exactReadOptions(database));
			return JSON.stringify(exactNumbers(database, rows, table));
		},

		// Asked only where the database's sequence does not follow explicit keys (PostgreSQL).
		async advanceSequence({ collection, primaryKey }) {
			await database.raw('SELECT setval(pg_get_serial_sequence(?, ?), (SELECT COALESCE(MAX(??), 1) FROM ??))', [`"${collection}"`, primaryKey, primaryKey, collection]);
		},
	};
}
