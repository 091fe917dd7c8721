// What differs between the database drivers Directus runs on (pg, mysql2, sqlite3): how to read a
// value exactly as stored, and how to bind it back. Driver knowledge only; the core decides which
// columns need it (`exact` fields, the receiver's column types).

export const isPostgres = (database) => ['pg', 'postgres', 'postgresql', 'cockroachdb'].includes(database.client.config.client);
export const isMysql = (database) => ['mysql', 'mysql2'].includes(database.client.config.client);

const PG_AS_TEXT = new Set([114, 3802, 1082, 1114, 1184]); // json, jsonb, date, timestamp, timestamptz

/**
 * Query options (knex `.options()`) that read rows in the database's own representation, exactly,
 * whatever the process's time zone. PostgreSQL: JSON, date and timestamp columns as the server's
 * text (pg would parse JSON and turn dates into local-time Date objects). MySQL/MariaDB: dates,
 * 64-bit integers and JSON as text (mysql2 would make Dates, doubles and parsed JSON) and
 * geometries as the hex of their stored bytes (see `bytesColumns` for the way back).
 */
export function exactReadOptions(database) {
	if (isPostgres(database)) {
		const types = database.client.driver?.types;
		if (!types) return {};
		return { types: { getTypeParser: (oid, format) => (PG_AS_TEXT.has(oid) ? (value) => value : types.getTypeParser(oid, format)) } };
	}
	if (isMysql(database)) {
		return {
			dateStrings: true,
			supportBigNumbers: true,
			bigNumberStrings: true,
			typeCast: (field, next) => {
				// MySQL's JSON type, or MariaDB's (LONGTEXT marked json, which newer mysql2 parses too).
				if (field.type === 'JSON' || field.extendedFormat === 'json') return field.string('utf8');
				if (field.type === 'GEOMETRY') return field.buffer()?.toString('hex') ?? null;
				return next();
			},
		};
	}
	return {};
}

/** A column selected as its exact decimal text (`AS` its own name): 64-bit integers, which the
 * SQLite and MySQL drivers (and so Directus' API) read as doubles, losing digits past 2^53. */
export function asText(database, column) {
	if (isPostgres(database)) return database.raw('??::text as ??', [column, column]);
	if (isMysql(database)) return database.raw('cast(?? as char) as ??', [column, column]);
	return database.raw('cast(?? as text) as ??', [column, column]);
}

/** Which of `columns` take their values as bytes: MySQL geometries, read as hex (see above). */
export function bytesColumns(database, table, columns) {
	if (!isMysql(database)) return columns.map(() => false);
	const fields = table?.fields ?? {};
	return columns.map((column) => Boolean(fields[column]?.type?.startsWith('geometry')));
}

/** A row's values bound for writing: hex strings of byte columns back to bytes. */
export function bindable(values, bytes) {
	return values.map((value, i) => (bytes[i] && typeof value === 'string' ? Buffer.from(value, 'hex') : value));
}
