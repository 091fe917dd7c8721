// The source instance's data, read in-process through Directus' own services and its knex.
import { asText, exactReadOptions } from './vendor.js';

/** `{ database, services, accountability, schema() }` → the core's reads of the source. */
export function sourceReader({ database, services, accountability, schema }) {
	const items = async (collection) =>
		new services.ItemsService(collection, { schema: await schema(), knex: database, accountability });

	// The API's rows with their `exact` fields replaced by the stored value's text.
	const overlayExact = async (rows, { collection, primaryKey, fields, exact }) => {
		const wanted = exact.filter((field) => fields.length === 0 || fields.includes(field));
		if (wanted.length === 0 || rows.length === 0) return;
		const texts = await database
			.select([primaryKey, ...wanted.map((field) => asText(database, field))])
			.from(collection)
			.whereIn(primaryKey, rows.map((row) => row[primaryKey]));
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
		// bulk receiver (the filter still goes through ItemsService). `exact` fields (64-bit
		// integers) are read as their decimal text in either representation.
		async readPage({ collection, primaryKey, fields, after, limit, filter, raw, exact = [] }) {
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
				const columns = fields.map((field) => (exact.includes(field) ? asText(database, field) : field));
				const rows = kept.length > 0
					? await database.select(columns).from(collection).whereIn(primaryKey, kept).orderBy(primaryKey).options(exactReadOptions(database))
					: [];
				return JSON.stringify({ rows, last: keys.at(-1), scanned: keys.length });
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
				const rows = await database.select(fields.length > 0 ? fields : '*').from(collection).whereIn(primaryKey, keys).options(exactReadOptions(database));
				return JSON.stringify(rows);
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
