// Floats for the vendors suite: a collection with a single-precision column (Directus' own
// `float`: `real` on PostgreSQL, FLOAT(10,5) on MariaDB, REAL on SQLite) and a double-precision
// one (the same Directus type on a DOUBLE column, as a database made outside Directus has it),
// holding i / 7 for 10,000 values of i and the edges. Compared in the database, bit for bit: never
// through the API's JSON.
import { queryDatabase } from './support.mjs';
import { client } from '../../scripts/lib/api.mjs';

export const FLOATS = 'float_values';
export const FLOAT_COUNT = 10_000;

/** Doubles at the edges: the smallest subnormal and normal, the largest finite, values whose
 * shortest text needs 17 digits, integers beyond 2^53; -0 where the database keeps its sign. */
function doubleEdges(db) {
	const edges = [5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308, 0.1, 1 / 3, 2 / 3, 9007199254740993, 123456789.12345679, 1e-300, 4.35e-320];
	return db === 'postgres' ? [...edges, -0] : edges;
}

/** Singles at the edges (PostgreSQL and SQLite: MariaDB's FLOAT(10,5) holds five decimals). */
function singleEdges(db) {
	if (db === 'mysql') return [12345.67891, -0.00001, 0.5, 99999.5];
	return [1.401298464324817e-45, 1.1754943508222875e-38, 3.4028234663852886e38, -3.4028234663852886e38, Math.fround(0.1), Math.fround(1 / 3)];
}

/** The rows the source holds: `[id, single, double]`, the single already what its column keeps. */
export function floatRows(db) {
	const rows = [];
	for (let i = 1; i <= FLOAT_COUNT; i += 1) rows.push([i, Math.fround(i / 7), i / 7]);
	const doubles = doubleEdges(db);
	const singles = singleEdges(db);
	for (let j = 0; j < Math.max(doubles.length, singles.length); j += 1) {
		rows.push([FLOAT_COUNT + 1 + j, singles[j] ?? null, doubles[j] ?? null]);
	}
	return rows;
}

const DOUBLE_TYPE = { postgres: 'double precision', mysql: 'double', sqlite: 'real' };

/** Make the collection through the API (Directus makes `a_single` its own way), then make
 * `a_double` a double-precision column, as a database made outside Directus has it. */
export async function createFloatCollection(instance) {
	const api = client(instance.url, instance.token);
	const field = (name, type, schema = {}) => ({ field: name, type, meta: { interface: 'input' }, schema });
	await api.post('/collections', {
		collection: FLOATS,
		meta: { icon: 'functions' },
		schema: {},
		fields: [field('id', 'integer', { is_primary_key: true, has_auto_increment: true }), field('a_single', 'float'), field('a_double', 'float')],
	});
	await widenDouble(instance);
}

/** `a_double` as DOUBLE on `instance` (the destination's schema-sync made it Directus' `float`). */
export async function widenDouble(instance) {
	if (instance.db !== 'sqlite') {
		await queryDatabase(instance, (knex) => (instance.db === 'postgres'
			? knex.raw(`alter table ${FLOATS} alter column a_double type double precision`)
			: knex.raw(`alter table ${FLOATS} modify a_double double null`)));
	}
	await client(instance.url, instance.token).post('/utils/cache/clear');
}

/** Fill the source's collection straight in its database. */
export async function insertFloatRows(instance) {
	const rows = floatRows(instance.db).map(([id, a_single, a_double]) => ({ id, a_single, a_double }));
	await queryDatabase(instance, async (knex) => {
		for (let i = 0; i < rows.length; i += 500) await knex(FLOATS).insert(rows.slice(i, i + 500));
	});
}

/** The stored values, exactly: `[id, single, double]` as numbers rebuilt from text only the
 * database's own exact rendering gives (MariaDB's FLOAT read through DOUBLE: its text protocol
 * sends singles with six digits). */
export async function storedFloats(instance) {
	return queryDatabase(instance, async (knex) => {
		const single = instance.db === 'postgres' ? 'a_single::float8::text' : instance.db === 'mysql' ? 'cast(cast(a_single as double) as char)' : 'a_single';
		const double = instance.db === 'postgres' ? 'a_double::text' : instance.db === 'mysql' ? 'cast(a_double as char)' : 'a_double';
		const rows = await knex(FLOATS).select('id', knex.raw(`${single} as s`), knex.raw(`${double} as d`)).orderBy('id');
		const number = (v) => (v === null ? null : Number(v));
		return rows.map((r) => [Number(r.id), number(r.s), number(r.d)]);
	});
}

/** The rows of `theirs` whose values differ from `ours` in any bit (-0 and 0 differ), and the
 * rows one side lacks: `[]` when every value arrived exactly. */
export function floatDifferences(ours, theirs) {
	const bits = (v) => (v === null ? 'null' : Buffer.from(new Float64Array([v]).buffer).toString('hex'));
	const key = ([id, s, d]) => `${id}:${bits(s)}:${bits(d)}`;
	const there = new Set(theirs.map(key));
	const here = new Set(ours.map(key));
	return [...ours.filter((r) => !there.has(key(r))).map((r) => ['source', ...r]), ...theirs.filter((r) => !here.has(key(r))).map((r) => ['destination', ...r])];
}
