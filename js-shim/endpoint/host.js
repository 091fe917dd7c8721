// The host the WASM core calls back into: the source instance, read in-process through Directus'
// own services (never over HTTP). Shape: `MigrationHost` in the generated table_migration.d.ts.
/**
 * @param {object} context  the endpoint context (services, database, getSchema, logger)
 * @param {object} options
 * @param {object|null} options.accountability  the caller's accountability (an admin)
 * @param {(event: object) => void} [options.onEvent]  progress sink for the current request
 */
export function createHost(context, { accountability, onEvent } = {}) {
	const { services, database, getSchema, logger } = context;
	let schema;
	const currentSchema = async () => (schema ??= await getSchema({ database }));
	const items = async (collection) =>
		new services.ItemsService(collection, { schema: await currentSchema(), knex: database, accountability });

	return {
		// Keys come from the table itself (Directus filters have no `_gt` for uuid or string keys);
		// rows come through ItemsService, so values are in the API's own format.
		async readPage({ collection, primaryKey, fields, after, limit, filter }) {
			const scan = database.select(primaryKey).from(collection).orderBy(primaryKey).limit(limit);
			if (after !== null && after !== undefined) scan.where(primaryKey, '>', after);
			const keys = (await scan).map((row) => row[primaryKey]);
			if (keys.length === 0) return JSON.stringify({ rows: [], last: null, scanned: 0 });
			const service = await items(collection);
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

		async schemaSnapshot() {
			const service = new services.SchemaService({ knex: database, accountability });
			return JSON.stringify(await service.snapshot());
		},

		emit(event) {
			const level = event.type === 'log' ? event.level : event.type === 'retry' ? 'warn' : 'debug';
			logger[level]?.(`[table-migration] ${event.message}`);
			onEvent?.(event);
		},
	};
}
