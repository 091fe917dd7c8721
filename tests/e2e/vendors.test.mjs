// Every value type Directus offers, on every database: a collection with one field of each type,
// rows with edge values (JSON objects, arrays and scalars, unicode, empty strings and nulls,
// 64-bit integers above 2^53), moved over REST and over the bulk receiver; the destination's rows
// must equal the source's field for field. Then the next item created on the destination gets the
// next key (sequences follow explicit keys, capitalised table names and bigint keys included).
// The command line (dist/cli.js) too: the source read through its API, the rows sent to the bulk
// receiver in the API's representation, which converts them as Directus writes an item.
// Last, a migration across database vendors: refused without `force`, over REST with it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startDirectus, VERSIONS } from '../../scripts/lib/directus.mjs';
import { DATABASES } from '../../scripts/lib/databases.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { commandLine, MATRIX, migrationCall, queryDatabase, summaryOf } from './support.mjs';
import { FLOATS, FLOAT_COUNT, createFloatCollection, floatDifferences, floatRows, insertFloatRows, storedFloats, widenDouble } from './floats.mjs';

const VALUES = 'all_values';
const LEDGER = 'Ledger_Entries';
const ndjson = { accept: 'application/x-ndjson' };

const field = (name, type, meta = {}, schema = {}) => ({ field: name, type, meta: { interface: 'input', ...meta }, schema });

/** One field of every type, geometry where the database has it (PostgreSQL only with PostGIS). */
function valueFields(db) {
	return [
		field('id', 'integer', { hidden: true }, { is_primary_key: true, has_auto_increment: true }),
		field('a_string', 'string'),
		field('a_text', 'text', { interface: 'input-multiline' }),
		field('an_integer', 'integer'),
		field('a_big_integer', 'bigInteger'),
		field('a_float', 'float'),
		field('a_decimal', 'decimal', {}, { numeric_precision: 14, numeric_scale: 4 }),
		field('a_boolean', 'boolean', { interface: 'boolean', special: ['cast-boolean'] }),
		field('a_json', 'json', { interface: 'input-code', special: ['cast-json'] }),
		field('a_csv', 'csv', { interface: 'tags', special: ['cast-csv'] }),
		field('a_uuid', 'uuid'),
		field('a_hash', 'hash', { interface: 'input-hash', special: ['hash'] }),
		field('a_date', 'date', { interface: 'datetime' }),
		field('a_time', 'time', { interface: 'datetime' }),
		field('a_date_time', 'dateTime', { interface: 'datetime' }),
		field('a_timestamp', 'timestamp', { interface: 'datetime' }),
		...(GEOMETRY[db] ? [field('a_point', 'geometry.Point', { interface: 'map' }), field('a_polygon', 'geometry.Polygon', { interface: 'map' })] : []),
	];
}

/** Where Directus can store geometry without extras. */
const GEOMETRY = { sqlite: false, postgres: false, mysql: true };

const BIG = '9007199254740993'; // 2^53 + 1: a double cannot hold it
// A JSON string scalar is sent JSON-encoded: Directus binds a bare string as it is, which
// PostgreSQL and MariaDB refuse as JSON (SQLite keeps it as text).
/**
 * The rows, with `portable` values for a migration across vendors, where each database keeps what
 * its columns can: a schema from SQLite has lost its decimals' precision (SQLite stores them as
 * floats), so the destination gets Directus' default float(10, 5); MySQL's timestamp columns (as
 * Directus creates them) keep whole seconds; and Directus on SQLite answers the date 1970-01-01
 * as 0, which other databases refuse or misread.
 */
function valueRows(db, { portable = false } = {}) {
	const pick = (exact, portableValue) => (portable ? portableValue : exact);
	const geometry = (point, polygon) => (GEOMETRY[db] ? { a_point: point, a_polygon: polygon } : {});
	const square = { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] };
	return [
		{ id: 1, a_string: 'plain', a_text: 'two\nlines', an_integer: 42, a_big_integer: BIG, a_float: 3.25, a_decimal: pick('12345678.1234', 1234.5), a_boolean: true, a_json: { id: 5, nested: { list: [1, 'two', null, true] } }, a_csv: ['a', 'b', 'c'], a_uuid: randomUUID(), a_hash: 'secret-one', a_date: '2024-02-29', a_time: '23:59:58', a_date_time: '2024-02-29T13:14:15', a_timestamp: pick('2024-02-29T13:14:15.123Z', '2024-02-29T13:14:15.000Z'), ...geometry({ type: 'Point', coordinates: [13.4, 52.5] }, square) },
		{ id: 2, a_string: 'ünïcödé 日本語 ✓ café 🦀 عربى \'"\\', a_text: '🦀'.repeat(300), an_integer: -2147483648, a_big_integer: `-${BIG}`, a_float: -0.5, a_decimal: pick('-0.0001', -0.25), a_boolean: false, a_json: ['a', 'b'], a_csv: ['ünï', '🦀'], a_uuid: randomUUID(), a_hash: 'sécret-two', a_date: pick('1970-01-01', '1970-01-02'), a_time: '00:00:00', a_date_time: '1999-12-31T23:59:59', a_timestamp: pick('1999-12-31T23:59:59.999Z', '1999-12-31T23:59:59.000Z'), ...geometry({ type: 'Point', coordinates: [-0.1, -89.9] }, null) },
		{ id: 3, a_string: '', a_text: '', an_integer: 0, a_big_integer: '0', a_float: 0, a_decimal: pick('0', 0), a_boolean: false, a_json: JSON.stringify('hello'), a_csv: [], a_uuid: randomUUID(), a_hash: null, a_date: '2000-01-01', a_time: '12:00:00', a_date_time: '2000-01-01T00:00:00', a_timestamp: '2000-01-01T00:00:00.000Z' },
		{ id: 4, a_string: 'scalars', an_integer: 2147483647, a_big_integer: '9223372036854775807', a_float: pick(1.5e-7, 0.125), a_decimal: pick('9999999999.9999', 99999.5), a_json: 42, a_csv: ['single'] },
		{ id: 5, a_string: 'more scalars', a_big_integer: '-9223372036854775808', a_json: true },
		{ id: 6, a_string: 'empty containers', a_json: {} },
		{ id: 7, a_string: 'empty array', a_json: [] },
		{ id: 8, a_string: 'a string that looks like a number', a_json: JSON.stringify('123') },
		{ id: 50 }, // every value null, and a gap in the keys
	];
}

/** Everything the REST API answers for the rows, by key. */
const rowsOf = async (instance, collection) =>
	client(instance.url, instance.token).get(`/items/${collection}?limit=-1&sort=id&fields=*`);

/** Columns whose stored values the API does not show exactly (hashes are masked; 64-bit integers
 * become doubles on SQLite and MySQL; PostgreSQL's API makes a number of a JSON string "123"):
 * compared in the database itself, JSON as the value its text holds. */
async function stored(instance) {
	const text = (column) => (instance.db === 'postgres' ? `${column}::text` : instance.db === 'mysql' ? `cast(${column} as char)` : `cast(${column} as text)`);
	const rows = await queryDatabase(instance, (knex) => knex(VALUES).select('id', 'a_hash', knex.raw(`${text('a_big_integer')} as big`), knex.raw(`${text('a_json')} as json`)).orderBy('id'));
	return rows.map((row) => ({ ...row, json: row.json === null ? null : JSON.parse(row.json) }));
}

async function createValueCollections(instance, db, options) {
	const api = client(instance.url, instance.token);
	await api.post('/collections', { collection: VALUES, meta: { icon: 'science' }, schema: {}, fields: valueFields(db) });
	await api.post('/collections', {
		collection: LEDGER,
		meta: { icon: 'receipt' },
		schema: {},
		fields: [field('id', 'bigInteger', { hidden: true }, { is_primary_key: true, has_auto_increment: true }), field('note', 'string')],
	});
	await api.post(`/items/${VALUES}`, valueRows(db, options));
	await api.post(`/items/${LEDGER}`, [{ id: 1, note: 'first' }, { id: 3_000_000_000, note: 'beyond 32 bits' }]);
}

for (const { db, version, label } of MATRIX) {
	describe(`every value type on ${label}`, () => {
		let source;
		const destinations = {};

		before(async () => {
			[source, destinations.rest, destinations.bulk, destinations.cli] = await Promise.all([
				startDirectus({ version, db, name: 'values-source' }),
				startDirectus({ version, db, name: 'values-rest' }),
				startDirectus({ version, db, name: 'values-bulk' }),
				startDirectus({ version, db, name: 'values-cli' }),
			]);
			await createValueCollections(source, db);
			await createFloatCollection(source);
			await insertFloatRows(source);
			for (const destination of Object.values(destinations)) {
				const sync = await migrationCall(source, 'schema-sync', { baseURL: destination.url, token: destination.token });
				assert.match(sync.lines.at(-1), /^Applied: /, sync.text);
				await widenDouble(destination);
			}
		});
		after(() => Promise.all([source?.stop(), ...Object.values(destinations).map((d) => d?.stop())]));

		for (const transport of ['rest', 'bulk']) {
			test(`over ${transport}: every row arrives field for field`, async () => {
				const destination = destinations[transport];
				const res = await migrationCall(source, 'run', { baseURL: destination.url, token: destination.token, scope: { transport, selectedTables: [VALUES, LEDGER] } }, ndjson);
				const report = summaryOf(res);
				assert.equal(report.status, 'completed', JSON.stringify({ failures: report.failures, error: report.error }));
				assert.equal(report.table(VALUES).created, valueRows(db).length);

				const [ours, theirs] = await Promise.all([rowsOf(source, VALUES), rowsOf(destination, VALUES)]);
				// Hashes cannot be read through the API, so REST cannot move them (see README).
				const expected = transport === 'rest' ? ours.map((row) => ({ ...row, a_hash: null })) : ours;
				assert.deepEqual(theirs, expected);
				assert.deepEqual(await rowsOf(destination, LEDGER), await rowsOf(source, LEDGER));

				const [ourStored, theirStored] = await Promise.all([stored(source), stored(destination)]);
				if (transport === 'bulk') {
					assert.deepEqual(theirStored.map((r) => r.a_hash), ourStored.map((r) => r.a_hash), 'hashes are copied as stored');
				}
				// 64-bit integers arrive exactly, although the API shows them as doubles on SQLite and
				// MySQL: the source reads them as text.
				assert.deepEqual(theirStored.map((r) => r.big), ourStored.map((r) => r.big));
				assert.equal(theirStored[0].big, BIG);
			});

			test(`over ${transport}: every float arrives bit for bit, i / 7 and the edges`, async () => {
				const destination = destinations[transport];
				const ours = await storedFloats(source);
				// The source holds what was put there: the reading itself is exact.
				const expected = floatRows(db);
				assert.equal(ours.length, expected.length);
				const doubles = ours.slice(0, FLOAT_COUNT).filter(([id, , d]) => !Object.is(d, id / 7));
				assert.deepEqual(doubles, [], 'the source keeps i / 7 exactly');
				const res = await migrationCall(source, 'run', { baseURL: destination.url, token: destination.token, scope: { transport, selectedTables: [FLOATS] } }, ndjson);
				const report = summaryOf(res);
				assert.equal(report.status, 'completed', JSON.stringify({ failures: report.failures, error: report.error }));
				assert.equal(report.table(FLOATS).created, expected.length);
				const differences = floatDifferences(ours, await storedFloats(destination));
				assert.deepEqual(differences.slice(0, 10), [], `${differences.length} value(s) differ`);
			});

			test(`over ${transport}: the next item gets the next key`, async () => {
				const api = client(destinations[transport].url, destinations[transport].token);
				const next = await api.post(`/items/${VALUES}`, { a_string: 'created after the migration' });
				assert.equal(Number(next.id), 51);
				const ledger = await api.post(`/items/${LEDGER}`, { note: 'next' });
				assert.equal(String(ledger.id), '3000000001');
			});
		}

		test('the command line (the source read through its API, bulk): every row arrives as the API shows it', async () => {
			const destination = destinations.cli;
			const res = await commandLine(['run', '--from', source.url, '--to', destination.url, '--tables', `${VALUES},${LEDGER}`, '--json'], {
				DIRECTUS_FROM_TOKEN: source.token,
				DIRECTUS_TO_TOKEN: destination.token,
			});
			const report = JSON.parse(res.stdout);
			assert.equal(report.transport, 'bulk');
			// What only the extension on the source reads exactly: 64-bit integers beyond 2^53, which
			// the source's API answers as doubles on SQLite and MySQL (its driver reads them as
			// numbers). MySQL refuses the two that round past its range: reported, with its words.
			const refused = db === 'mysql' ? [4, 5] : [];
			assert.deepEqual(report.failures.map((f) => f.key).sort(), refused, JSON.stringify(report.failures));
			for (const failure of report.failures) assert.match(failure.message, /out of range/i);
			assert.equal(res.code, refused.length > 0 ? 1 : 0, `${res.stdout}\n${res.stderr}`);
			assert.equal(report.status, refused.length > 0 ? 'completed with errors' : 'completed', JSON.stringify(report.error));
			const [ours, theirs] = await Promise.all([rowsOf(source, VALUES), rowsOf(destination, VALUES)]);
			// As over REST: the API masks hashes, so they cannot move without the extension on the source.
			const expected = ours.filter((row) => !refused.includes(row.id)).map((row) => ({ ...row, a_hash: null }));
			assert.deepEqual(theirs, expected);
			assert.deepEqual(await rowsOf(destination, LEDGER), await rowsOf(source, LEDGER));
			const [ourStored, theirStored] = await Promise.all([stored(source), stored(destination)]);
			const kept = ourStored.filter((row) => !refused.includes(row.id));
			// PostgreSQL's driver gives 64-bit integers as text: exact.
			if (db === 'postgres') assert.deepEqual(theirStored.map((r) => r.big), kept.map((r) => r.big));
			// JSON is stored as the source's API answered it: the API answers the JSON string "123" as
			// the number 123 on some databases and versions (PostgreSQL; MySQL on Directus 12), and
			// that is what the command line gets.
			const answered = new Map(ours.map((row) => [row.id, row.a_json ?? null]));
			assert.deepEqual(theirStored.map((r) => r.json), kept.map((r) => answered.get(r.id)), 'JSON as the API answered it');
		});
	});
}

// Across vendors: the first database and each other one (the source on the first).
const [home, ...others] = DATABASES;
for (const away of others) {
	const version = VERSIONS[0];
	describe(`across databases on Directus ${version}: ${home} to ${away}`, () => {
		let source, destination, target;

		before(async () => {
			[source, destination] = await Promise.all([
				startDirectus({ version, db: home, name: 'cross-source' }),
				startDirectus({ version, db: away, name: 'cross-destination' }),
			]);
			target = { baseURL: destination.url, token: destination.token };
			await createValueCollections(source, home, { portable: true });
		});
		after(() => Promise.all([source?.stop(), destination?.stop()]));

		test('check and run refuse another vendor with 409 unless forced', async () => {
			const check = await migrationCall(source, 'check', target);
			assert.equal(check.status, 409);
			assert.match(check.body.message, new RegExp(`database vendors differ: source ${home}, destination ${away}`, 'i'));
			const forced = await migrationCall(source, 'check', { ...target, scope: { force: true } });
			assert.equal(forced.status, 200);
			assert.equal(forced.body.status, 'warning');
			assert.match(forced.body.bulkReceiver, new RegExp(`^no \\(its database is ${away}, the source's ${home}\\)`));

			const sync = await migrationCall(source, 'schema-sync', { ...target, scope: { selectedTables: [VALUES, LEDGER] } });
			assert.equal(sync.status, 409, sync.text);
			const run = await migrationCall(source, 'run', { ...target, scope: { selectedTables: [VALUES] } });
			assert.equal(run.status, 409, run.text);
		});

		test('with force, schema-sync and run go over REST and every value arrives', async () => {
			// The selected collection: Directus' own index settings differ between vendors. (And not
			// the ledger: SQLite has no 64-bit auto-increment keys, so its schema gives 32-bit ones.)
			const scope = { force: true, selectedTables: [VALUES] };
			const sync = await migrationCall(source, 'schema-sync', { ...target, scope });
			assert.equal(sync.status, 200, sync.text);
			assert.match(sync.lines.at(-1), /^Applied: /, sync.text);
			const again = await migrationCall(source, 'schema-sync', { ...target, scope });
			assert.equal(again.lines.at(-1), 'Schemas are in sync', 'column types differ by vendor; Directus types match');
			const bulk = await migrationCall(source, 'run', { ...target, scope: { ...scope, transport: 'bulk' } });
			assert.equal(bulk.status, 409);
			assert.match(bulk.body.message, /scope.transport is bulk, but its database is/);

			const res = await migrationCall(source, 'run', { ...target, scope }, ndjson);
			const report = summaryOf(res);
			assert.equal(report.transport, 'rest');
			assert.ok(res.lines.some((l) => JSON.parse(l).message?.startsWith('Transport: REST API: its database is')), res.lines.slice(0, 3).join('\n'));
			assert.equal(report.status, 'completed', JSON.stringify({ failures: report.failures, error: report.error }));
			const [ours, theirs] = await Promise.all([rowsOf(source, VALUES), rowsOf(destination, VALUES)]);
			// 64-bit integers and JSON: each API shows them its own way (a double on SQLite and MySQL, a
			// string on PostgreSQL; see `stored`); the stored values must be the same.
			const comparable = (rows, geometry) => rows.map((row) => {
				const copy = { ...row, a_hash: null, a_big_integer: undefined, a_json: undefined };
				if (!geometry) {
					delete copy.a_point;
					delete copy.a_polygon;
				}
				return copy;
			});
			const geometry = GEOMETRY[home] && GEOMETRY[away];
			assert.deepEqual(comparable(theirs, geometry), comparable(ours, geometry));
			const [ourStored, theirStored] = await Promise.all([stored(source), stored(destination)]);
			assert.deepEqual(theirStored.map((r) => r.big), ourStored.map((r) => r.big));
			assert.deepEqual(theirStored.map((r) => r.json), ourStored.map((r) => r.json));
			const next = await client(destination.url, destination.token).post(`/items/${VALUES}`, { a_string: 'next' });
			assert.equal(Number(next.id), 51);
		});
	});
}
