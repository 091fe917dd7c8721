// @ts-check
// What differs between the database drivers Directus runs on (pg, mysql2, sqlite3): how to read a
// value exactly as stored, and how to bind it back. Driver knowledge only; the core decides which
// columns need it (`exact` fields, the receiver's column types).

export const isPostgres = (database) => ['pg', 'postgres', 'postgresql', 'cockroachdb'].includes(database.client.config.client);
export const isMysql = (database) => ['mysql', 'mysql2'].includes(database.client.config.client);

const PG_AS_TEXT = new Set([114, 3802, 1082, 1114, 1184]); // json, jsonb, date, timestamp, timestamptz
const PG_FLOATS = new Set([700, 701]); // real, double precision

/** The text JSON cannot carry as a number (-0, NaN, ±Infinity), which every database reads back
 * as the same float; `null` for any other value. */
const floatText = (value) => (Object.is(value, -0) ? '-0' : typeof value === 'number' && !Number.isFinite(value) ? String(value) : null);

/** A float read from PostgreSQL's text (its shortest exact digits, for `real` and `double
 * precision` alike): the number, or the text itself where JSON has no such number. */
const pgFloat = (text) => {
	const value = Number(text);
	return floatText(value) === null ? value : text;
};

/**
 * Query options (knex `.options()`) that read rows in the database's own representation, exactly,
 * whatever the process's time zone. PostgreSQL: JSON, date and timestamp columns as the server's
 * text (pg would parse JSON and turn dates into local-time Date objects), floats as numbers but -0,
 * NaN and ±Infinity as their text (see `exactNumbers` for the other drivers). MySQL/MariaDB: dates,
 * 64-bit integers and JSON as text (mysql2 would make Dates, doubles and parsed JSON) and
 * geometries as the hex of their stored bytes (see `bytesColumns` for the way back).
 */
export function exactReadOptions(database) {
	if (isPostgres(database)) {
		const types = database.client.driver?.types;
		if (!types) return {};
		const parser = (oid, format) => (PG_AS_TEXT.has(oid) ? (value) => value : PG_FLOATS.has(oid) ? pgFloat : types.getTypeParser(oid, format));
		return { types: { getTypeParser: parser } };
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

/** The `float` fields of `table` (Directus' schema overview) whose values this database's driver
 * reads inexactly: MySQL/MariaDB's text protocol sends doubles with 15 or 16 significant digits
 * (90.28571428571429 arrives as 90.28571428571428) and single-precision FLOAT with 6; PostgreSQL
 * sends the shortest exact digits of `real` and `double precision`, SQLite the double itself. */
export function inexactFloats(database, table) {
	if (!isMysql(database)) return new Set();
	return new Set(Object.values(table?.fields ?? {}).filter((field) => field.type === 'float').map((field) => field.field));
}

/** What to select for `fields` of `table` (all its columns when empty) so that every value is read
 * exactly: `exact` fields that are 64-bit integers as their text, inexact floats as the exact
 * text of the double they hold (CAST to text keeps every digit; see `exactNumbers`). */
export function exactSelection(database, table, fields, exact = []) {
	const floats = inexactFloats(database, table);
	const names = fields.length > 0 || floats.size === 0
		? fields
		: Object.values(table?.fields ?? {}).filter((field) => field.type !== 'alias').map((field) => field.field);
	const columns = names.map((field) => {
		if (floats.has(field)) return database.raw('cast(cast(?? as double) as char) as ??', [field, field]);
		return exact.includes(field) && table?.fields?.[field]?.type !== 'float' ? asText(database, field) : field;
	});
	return columns.length > 0 ? columns : '*';
}

/**
 * Rows read raw, in place: the inexact floats of `table`, selected as text (`exactSelection`),
 * back to numbers, and the floats JSON cannot carry as numbers (-0, NaN, ±Infinity, which
 * `JSON.stringify` would make 0 and null) as their text. PostgreSQL's reads do it in
 * their parser already; SQLite keeps ±Infinity (NaN becomes NULL, -0 becomes 0 when stored);
 * MySQL/MariaDB keep none of them.
 */
export function exactNumbers(database, rows, table) {
	if (isPostgres(database)) return rows;
	const floats = inexactFloats(database, table);
	for (const row of rows) {
		for (const key in row) {
			if (floats.has(key) && typeof row[key] === 'string') row[key] = Number(row[key]);
			const text = floatText(row[key]);
			if (text !== null) row[key] = text;
		}
	}
	return rows;
}

/** How each of `columns` takes its values: `bytes` (MySQL geometries, read as hex, see above),
 * `float` (SQLite: the text of ±Infinity and -0 back to the number, which SQLite would store as
 * text; PostgreSQL and MariaDB read the text as the float itself) or `null` (as it is). */
export function columnBindings(database, table, columns) {
	const fields = table?.fields ?? {};
	return columns.map((column) => {
		const type = fields[column]?.type;
		if (isMysql(database) && type?.startsWith('geometry')) return 'bytes';
		if (!isPostgres(database) && !isMysql(database) && type === 'float') return 'float';
		return null;
	});
}

const FLOAT_TEXTS = new Set(['-0', 'NaN', 'Infinity', '-Infinity']);

/** A row's values bound for writing, by `columnBindings`. */
export function bindable(values, bindings) {
	return values.map((value, i) => {
		if (typeof value !== 'string' || bindings[i] === null) return value;
		if (bindings[i] === 'bytes') return Buffer.from(value, 'hex');
		return FLOAT_TEXTS.has(value) ? Number(value) : value;
	});
}
