// The source instance's data, read in-process through Directus' own services and its knex.

/** `{ database, services, accountability, schema() }` → the core's reads of the source. */
export function sourceReader({ database, services, accountability, schema }) {
	const items = async (collection) =>
		new services.ItemsService(collection, { schema: await schema(), knex: database, accountability });

	return {
		// Keys come from the table itself (Directus filters have no `_gt` for uuid or string keys);
		// rows come through ItemsService, so values are in the API's own format. With `raw`, rows
		// come straight from the table in the database's own representation, for the destination's
		// bulk receiver (the filter still goes through ItemsService).
		async readPage({ collection, primaryKey, fields, after, limit, filter, raw }) {
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
				const rows = kept.length > 0 ? await database.select(fields).from(collection).whereIn(primaryKey, kept).orderBy(primaryKey) : [];
				return JSON.stringify({ rows, last: keys.at(-1), scanned: keys.length });
			}
			const rows = await service.readByQuery({
				fields: fields.length > 0 ? fields : ['*'],
				filter: { _and: [...(filter ? [filter] : []), { [primaryKey]: { _in: keys } }] },
				sort: [primaryKey],
				limit: keys.length,
			});
			return JSON.stringify({ rows, last: keys.at(-1), scanned: keys.length });
		},

		async count({ collection, filter }) {
			const service = await items(collection);
			const [result] = await service.readByQuery({ aggregate: { count: ['*'] }, filter: filter ?? undefined });
			return Number(result?.count ?? 0);
		},

		// With `raw`, rows as stored (a user's password hash, for the destination's bulk receiver).
		async readByKeys({ collection, primaryKey, keys, fields, raw }) {
			if (raw) return JSON.stringify(await database.select(fields.length > 0 ? fields : '*').from(collection).whereIn(primaryKey, keys));
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
