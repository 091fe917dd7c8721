// The host the WASM core calls back into: the source instance, read in-process through Directus'
// own services (never over HTTP). Shape: `MigrationHost` in the generated table_migration.d.ts.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * POST a stream with node:http(s). (`fetch` with a streamed body keeps the whole body in memory
 * until the request ends: measured +226 MB for a 200 MB file, against +43 MB here.)
 */
function postStream(url, headers, body, timeoutMs) {
	const target = new URL(url);
	const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
	return new Promise((resolve, reject) => {
		const request = send(target, { method: 'POST', headers: Object.fromEntries(headers), signal: AbortSignal.timeout(timeoutMs) }, (response) => {
			const chunks = [];
			response.on('data', (chunk) => chunks.push(chunk));
			response.on('error', reject);
			response.on('end', () =>
				resolve({ status: response.statusCode, retryAfter: response.headers['retry-after'] ?? null, body: Buffer.concat(chunks).toString('utf8') }),
			);
		});
		request.on('error', reject);
		pipeline(body, request).catch(reject);
	});
}

/** knex errors quote the whole statement with its values: keep the database's own message. */
function databaseError(error) {
	const message = String(error?.message ?? error);
	return Object.assign(new Error(message.includes(' - ') ? message.slice(message.lastIndexOf(' - ') + 3) : message), { code: error?.code });
}

const isPostgres = (database) => ['pg', 'postgres', 'postgresql', 'cockroachdb'].includes(database.client.config.client);
const isMysql = (database) => ['mysql', 'mysql2'].includes(database.client.config.client);

/**
 * Driver options for reading rows in the database's own representation, exactly, whatever the
 * process's time zone: PostgreSQL's JSON, date and timestamp columns as the text the server sends
 * (pg would parse JSON, and turn dates into local-time Date objects); MySQL's dates, 64-bit
 * integers and JSON as text (mysql2 would make Dates, doubles and parsed JSON), and geometries as
 * the hex of their stored bytes (mysql2 would make lossy objects). The receiver writes that back
 * as it is (MySQL geometries as bytes: `bytesColumns`).
 */
function exactReadOptions(database) {
	if (isPostgres(database)) {
		const types = database.client.driver?.types;
		if (!types) return {};
		const text = new Set([114, 3802, 1082, 1114, 1184]); // json, jsonb, date, timestamp, timestamptz
		return { types: { getTypeParser: (oid, format) => (text.has(oid) ? (value) => value : types.getTypeParser(oid, format)) } };
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

/** A column read as its exact decimal text (`AS` its own name). */
function asText(database, column) {
	if (isPostgres(database)) return database.raw('??::text as ??', [column, column]);
	if (isMysql(database)) return database.raw('cast(?? as char) as ??', [column, column]);
	return database.raw('cast(?? as text) as ??', [column, column]);
}

/** An error reading the source's own file: not retried, reported against the file. */
function sourceError(error) {
	return Object.assign(new Error(error?.message ?? String(error)), { source: true, code: error?.code });
}

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
	// Which of `columns` take their values as bytes: MySQL geometries (see exactReadOptions).
	const bytesColumns = async (collection, columns) => {
		if (!isMysql(database)) return columns.map(() => false);
		const fields = (await currentSchema()).collections[collection]?.fields ?? {};
		return columns.map((column) => Boolean(fields[column]?.type?.startsWith('geometry')));
	};

	return {
		// Keys come from the table itself (Directus filters have no `_gt` for uuid or string keys);
		// rows come through ItemsService, so values are in the API's own format.
		// With `raw`, rows come straight from the table in the database's own representation, for
		// the destination's bulk receiver (the filter still goes through ItemsService).
		// `exact` fields (64-bit integers) are read as text in either representation: the API's
		// drivers make doubles of them on SQLite and MySQL.
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
				const rows = kept.length > 0 ? await database.select(columns).from(collection).whereIn(primaryKey, kept).orderBy(primaryKey).options(exactReadOptions(database)) : [];
				return JSON.stringify({ rows, last: keys.at(-1), scanned: keys.length });
			}
			const rows = await service.readByQuery({
				fields: fields.length > 0 ? fields : ['*'],
				filter: { _and: [...(filter ? [filter] : []), { [primaryKey]: { _in: keys } }] },
				sort: [primaryKey],
				limit: keys.length,
			});
			const wanted = exact.filter((field) => fields.length === 0 || fields.includes(field));
			if (wanted.length > 0 && rows.length > 0) {
				const texts = await database.select([primaryKey, ...wanted.map((field) => asText(database, field))]).from(collection).whereIn(primaryKey, rows.map((row) => row[primaryKey]));
				const byKey = new Map(texts.map((row) => [String(row[primaryKey]), row]));
				for (const row of rows) {
					const text = byKey.get(String(row[primaryKey]));
					if (text) for (const field of wanted) if (field in row) row[field] = text[field];
				}
			}
			return JSON.stringify({ rows, last: keys.at(-1), scanned: keys.length });
		},

		async count({ collection, filter }) {
			const service = await items(collection);
			const [result] = await service.readByQuery({ aggregate: { count: ['*'] }, filter: filter ?? undefined });
			return Number(result?.count ?? 0);
		},

		async readByKeys({ collection, primaryKey, keys, fields }) {
			const service = await items(collection);
			const rows = await service.readByQuery({
				fields: fields.length > 0 ? fields : ['*'],
				filter: { [primaryKey]: { _in: keys } },
				limit: keys.length,
			});
			return JSON.stringify(rows);
		},

		// The file's bytes go from the source's storage straight into the request body, chunk by
		// chunk, with backpressure: neither this process nor the WASM core ever holds a whole file.
		async sendFile({ file, url, headers, prefix, suffix, timeoutMs }) {
			let stream;
			try {
				const assets = new services.AssetsService({ schema: await currentSchema(), knex: database, accountability });
				({ stream } = await assets.getAsset(file));
			} catch (error) {
				throw sourceError(error);
			}
			async function* body() {
				yield Buffer.from(prefix, 'utf8');
				try {
					for await (const chunk of stream) yield chunk;
				} catch (error) {
					throw sourceError(error);
				}
				yield Buffer.from(suffix, 'utf8');
			}
			try {
				return await postStream(url, headers, Readable.from(body()), timeoutMs);
			} finally {
				stream.destroy?.();
			}
		},

		// The receiving side of the bulk transport: this instance's own tables, through knex.
		async describeTable(collection) {
			const table = (await currentSchema()).collections[collection];
			if (!table || collection.startsWith('directus_')) return null;
			const fields = Object.values(table.fields).filter((field) => field.type !== 'alias');
			const columns = fields.map((field) => field.field);
			const types = Object.fromEntries(fields.map((field) => [field.field, field.type]));
			const key = table.fields[table.primary];
			const autoIncrement = ['integer', 'bigInteger'].includes(key?.type) && key?.defaultValue === 'AUTO_INCREMENT';
			return JSON.stringify({ collection, primaryKey: table.primary, columns, autoIncrement, types });
		},

		async existingKeys({ collection, primaryKey, keys }) {
			const rows = await database.select(primaryKey).from(collection).whereIn(primaryKey, keys);
			return JSON.stringify(rows.map((row) => row[primaryKey]));
		},

		async insertRows({ collection, columns, rows }) {
			const bytes = await bytesColumns(collection, columns);
			const objects = rows.map((values) => Object.fromEntries(columns.map((column, i) => [column, bytes[i] && typeof values[i] === 'string' ? Buffer.from(values[i], 'hex') : values[i]])));
			// SQLite binds at most 32,766 variables per statement.
			const chunk = Math.max(1, Math.floor(30_000 / Math.max(1, columns.length)));
			await database.transaction(async (trx) => {
				for (let i = 0; i < objects.length; i += chunk) await trx.insert(objects.slice(i, i + chunk)).into(collection);
			}).catch((error) => {
				throw databaseError(error);
			});
		},

		async updateRows({ collection, primaryKey, columns, rows }) {
			const bytes = await bytesColumns(collection, columns);
			await database.transaction(async (trx) => {
				for (const values of rows) {
					const row = Object.fromEntries(columns.map((column, i) => [column, bytes[i] && typeof values[i] === 'string' ? Buffer.from(values[i], 'hex') : values[i]]));
					const key = row[primaryKey];
					delete row[primaryKey];
					await trx(collection).update(row).where(primaryKey, key);
				}
			}).catch((error) => {
				throw databaseError(error);
			});
		},

		// PostgreSQL and CockroachDB sequences do not follow explicit keys; SQLite, MySQL and MariaDB
		// move their counters past inserted keys themselves.
		async advanceSequence({ collection, primaryKey }) {
			if (!isPostgres(database)) return;
			await database.raw('SELECT setval(pg_get_serial_sequence(?, ?), (SELECT COALESCE(MAX(??), 1) FROM ??))', [`"${collection}"`, primaryKey, primaryKey, collection]);
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
