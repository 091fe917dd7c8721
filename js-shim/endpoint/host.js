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
		async readPage({ collection, primaryKey, fields, after, limit, filter }) {
			const conditions = [];
			if (filter) conditions.push(filter);
			if (after !== null && after !== undefined) conditions.push({ [primaryKey]: { _gt: after } });
			const service = await items(collection);
			const rows = await service.readByQuery({
				fields: fields.length > 0 ? fields : ['*'],
				filter: conditions.length > 0 ? { _and: conditions } : undefined,
				sort: [primaryKey],
				limit,
			});
			return JSON.stringify({ rows });
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
