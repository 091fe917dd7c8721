// @ts-check
// The source instance's data, read in-process through Directus' own services and its knex.
import { exactNumbers, exactReadOptions, exactSelection, inexactFloats } from './vendor.js';

/**
 * `{ database, services, accountability, schema() }` → the core's reads of the source.
 * @returns {Pick<import('../../../target/pkg/table_migration.js').MigrationHost, 'readPage' | 'count' | 'readByKeys' | 'schemaSnapshot'>}
 */
export function sourceReader({ database, services, accountability, schema }) {
	const items = async (collection) =>
		new services.ItemsService(collection, { schema: await schema(), knex: database, accountability });

	const tableOf = async (collection) => (await schema()).collections[collection];

	// The API's rows with their `exact` fields replaced by the stored value: 64-bit integers as
	// their text, floats the API reads inexactly (MySQL/MariaDB) as the exact number.
	const overlayExact = async (rows, { collection, primaryKey, fields, exact }) => {
		const table = await tableOf(collection);
		const floats = inexactFloats(database, table);
		const isFloat = (field) => table?.fields?.[field]?.type === 'float';
		const wanted = exact.filter((field) => (fields.length === 0 || fields.includes(field)) && (!isFloat(field) || floats.has(field)));
		if (wanted.length === 0 || rows.length === 0) return;
		const texts = exactNumbers(database, await database
			.select([primaryKey, ...exactSelection(database, table, wanted, wanted)])
			.from(collection)
			.whereIn(primaryKey, rows.map((row) => row[primaryKey])), table);
		const byKey = new Map(texts.map((row) => [String(row[primaryKey]), row]));
		for (const row of rows) {
			const text = byKey.get(String(row[primaryKey]));
			if (text) for (const field of wanted) if (field in row) row[field] = text[field];
		}
	};

	return {
		// Keys come from the table itself (Directus filters have no `_gt` for uuid or string keys);
		// rows come through ItemsService, so values are in the API's own format. With `raw`, rows
		// come straight from the table in the database's own representation, for the destination's
		// bulk receiver (a filter still goes through ItemsService). `exact` fields (64-bit
		// integers) are read as their decimal text in either representation, and floats exactly
		// (raw: always; the API's: `exact` floats).
		async readPage({ collection, primaryKey, fields, after, limit, filter, raw, exact = [] }) {
			// Raw and unfiltered: one query, the page's rows in key order after the cursor.
			if (raw && !filter && (fields.length === 0 || fields.includes(primaryKey))) {
				const table = await tableOf(collection);
				// The key qualified: an `exact` key is selected as text under its own name.
				const column = `${collection}.${primaryKey}`;
				const page = database.select(exactSelection(database, table, fields, exact)).from(collection).orderBy(column).limit(limit).options(exactReadOptions(database));
				if (after !== null && after !== undefined) page.where(column, '>', after);
				const rows = exactNumbers(database, await page, table);
				return JSON.stringify({ rows, last: rows.at(-1)?.[primaryKey] ?? null, scanned: rows.length });
			}
			const scan = database.select(primaryKey).from(collection).orderBy(primaryKey).limit(limit);
			if (after !== null && after !== undefined) scan.where(primaryKey, '>', after);
			const keys = (await scan).map((row) => row[primaryKey]);
			if (keys.length === 0) return JSON.stringify({ rows: [], last: null, scanned: 0 });
			const service = await items(collection);
			if (raw) {
				let kept = keys;
				if (filter) {
					const matching = await service.readByQuery({ fields: [primaryKey], filter: { _and: [filter, { [primaryKey]: { _in: keys } }] }, limit: keys.length });
					kept = matching.map((row) => row[primaryKey]);
				}
				const table = await tableOf(collection);
				const rows = kept.length > 0
					? await database.select(exactSelection(database, table, fields, exact)).from(collection).whereIn(primaryKey, kept).orderBy(primaryKey).options(exactReadOptions(database))
					: [];
				return JSON.stringify({ rows: exactNumbers(database, rows, table), last: keys.at(-1), scanned: keys.length });
			}
			const rows = await service.readByQuery({
				fields: fields.length > 0 ? fields : ['*'],
				filter: { _and: [...(filter ? [filter] : []), { [primaryKey]: { _in: keys } }] },
				sort: [primaryKey],
				limit: keys.length,
			});
			await overlayExact(rows, { collection, primaryKey, fields, exact });
			return JSON.stringify({ rows, last: keys.at(-1), scanned: keys.length });
		},

		async count({ collection, filter }) {
			const service = await items(collection);
			const [result] = await service.readByQuery({ aggregate: { count: ['*'] }, filter: filter ?? undefined });
			return Number(result?.count ?? 0);
		},

		// With `raw`, rows as stored (a user's password hash, for the destination's bulk receiver).
		async readByKeys({ collection, primaryKey, keys, fields, raw }) {
			if (raw) {
				const table = await tableOf(collection);
				const rows = await database.select(exactSelection(database, table, fields)).from(collection).whereIn(primaryKey, keys).options(exactReadOptions(database));
				return JSON.stringify(exactNumbers(database, rows, table));
			}
			const service = await items(collection);
			const rows = await service.readByQuery({
				fields: fields.length > 0 ? fields : ['*'],
				filter: { [primaryKey]: { _in: keys } },
				limit: keys.length,
			});
			return JSON.stringify(rows);
		},

		async schemaSnapshot() {
			const service = new services.SchemaService({ knex: database, accountability });
			return JSON.stringify(await service.snapshot());
		},
	};
}
