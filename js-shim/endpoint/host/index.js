// @ts-check
// The host the WASM core calls back into (shape: `MigrationHost` and `MigrationStore` in the
// generated table_migration.d.ts), built per request from Directus' services:
// - source.js: the source's rows, counts and schema, read in-process (never over HTTP);
// - files.js:  the source's files, streamed to the destination;
// - library.js: the source's file library, where a run's artifacts are written as streams,
//   sealed under the instance's SECRET (seal.js);
// - store.js:  this instance's own tables, for the bulk receiver when it is the destination;
// - jobs.js:   the jobs, kept in the source's own database (table_migration_jobs), and their
//   requests sealed under SECRET;
// - vendor.js: what differs between pg, mysql2 and sqlite3 (exact reads, bytes back);
// - network.js: name resolution and this server's addresses, for the outbound rules.
// It executes what the core asks; every decision is the core's.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { sourceReader } from './source.js';
import { fileStreamer } from './files.js';
import { fileLibrary } from './library.js';
import { receivingStore } from './store.js';
import { jobSealing, jobStore } from './jobs.js';
import { network } from './network.js';

/** @typedef {import('../../../target/pkg/table_migration.js').MigrationEvent} MigrationEvent */

/**
 * This process, as the owner of the job leases it takes: host, process id and a random suffix
 * (a process id is reused after a restart, in a container say). Made once, when the module loads,
 * so a fresh WASM instance (core.js) keeps it.
 */
export const INSTANCE = `${hostname()}:${process.pid}:${Array.from(randomBytes(8), (byte) => 'abcdefghijklmnopqrstuvwxyz0123456789'[byte % 36]).join('')}`;

/** A comma-separated setting (Directus may have parsed it into an array already). */
function listOf(value) {
	return (Array.isArray(value) ? value : String(value ?? '').split(','))
		.map((item) => String(item).trim())
		.filter(Boolean);
}

/**
 * `IMPORT_IP_DENY_LIST` as the instance has it (Directus gives its default, `0.0.0.0,169.254.169.254`,
 * when it is not set; `null` lets the core apply that same default where there is no Directus env).
 */
function denyList(env) {
	const value = env?.IMPORT_IP_DENY_LIST;
	return value === undefined || value === null ? null : listOf(value);
}

/**
 * @param {object} context  the endpoint context (services, database, getSchema, logger)
 * @param {object} options
 * @param {object|null} [options.accountability]  the caller's accountability (an admin)
 * @param {(event: MigrationEvent) => void} [options.onEvent]  progress sink for the current request
 * @param {object} [options.schema]  the request's schema overview (`req.schema`), when the host
 *   lives as long as the request: it is not read again
 * @returns {import('../core.js').CoreHost}
 */
export function createHost(context, { accountability, onEvent, schema: known } = {}) {
	const { services, database, getSchema, logger, env } = context;
	let schema = known;
	const directus = {
		database,
		services,
		accountability,
		schema: async () => (schema ??= await getSchema({ database })),
	};
	return {
		/** The extension's settings from the environment (`ExtensionSettings` in the core). */
		settings: {
			allowedDestinations: String(env?.MIGRATION_ALLOWED_DESTINATIONS ?? ''),
			allowedCallbacks: String(env?.MIGRATION_ALLOWED_CALLBACKS ?? ''),
			ipDenyList: denyList(env),
			callbackSecret: String(env?.MIGRATION_CALLBACK_SECRET ?? ''),
			storageLocation: String(env?.MIGRATION_STORAGE_LOCATION ?? ''),
			storageLocations: listOf(env?.STORAGE_LOCATIONS),
			// Artifacts are sealed under SECRET: without it the core writes none (the secret itself
			// never reaches the core).
			secretMissing: !(typeof env?.SECRET === 'string' && env.SECRET !== ''),
			instance: INSTANCE,
			jobsRetention: String(env?.MIGRATION_JOBS_RETENTION ?? ''),
			// Who starts a job (the page's Past runs shows it).
			user: accountability?.user ?? null,
		},
		...sourceReader(directus),
		...fileStreamer(directus),
		...fileLibrary({ ...directus, secret: env?.SECRET }),
		...receivingStore(directus),
		...jobStore(database),
		...jobSealing(env?.SECRET),
		...network,
		emit(event) {
			const level = event.type === 'log' ? event.level : event.type === 'retry' ? 'warn' : 'debug';
			logger[level]?.(`[table-migration] ${event.message}`);
			onEvent?.(event);
		},
	};
}
