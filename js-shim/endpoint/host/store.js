// This instance's own tables, written through knex for the bulk receiver. The receiver (in the
// core) checks every batch against `describeTable` and decides what to write.
import { bindable, columnBindings, exactNumbers, exactReadOptions, exactSelection } from './vendor.js';

/** knex errors quote the whole statement with its values: keep the database's own message. */
export function databaseError(error) {
	const message = String(error?.message ?? error);
	return Object.assign(new Error(message.includes(' - ') ? message.slice(message.lastIndexOf(' - ') + 3) : message), { code: error?.code, errno: error?.errno });
}

/** `{ database, schema() }` → the core's `MigrationStore`. */
export function receivingStore({ database, schema }) {
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

		async insertRows({ collection, columns, rows }) {
			const bindings = columnBindings(database, (await schema()).collections[collection], columns);
			const objects = rows.map((values) => Object.fromEntries(bindable(values, bindings).map((value, i) => [columns[i], value])));
			// SQLite binds at most 32,766 variables per statement.
			const chunk = Math.max(1, Math.floor(30_000 / Math.max(1, columns.length)));
			await database.transaction(async (trx) => {
				for (let i = 0; i < objects.length; i += chunk) await trx.insert(objects.slice(i, i + chunk)).into(collection);
			}).catch((error) => {
				throw databaseError(error);
			});
		},

		async updateRows({ collection, primaryKey, columns, rows }) {
			const bindings = columnBindings(database, (await schema()).collections[collection], columns);
			await database.transaction(async (trx) => {
				for (const values of rows) {
					const row = Object.fromEntries(bindable(values, bindings).map((value, i) => [columns[i], value]));
					const key = row[primaryKey];
					delete row[primaryKey];
					await trx(collection).update(row).where(primaryKey, key);
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
