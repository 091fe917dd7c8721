// @ts-check
// Owns the WASM core's instance (the .wasm file sits beside dist/api.js) and creates cores bound
// to a host. Nothing else in the shim imports the generated bindings.
//
// Should the core trap (no panic is reachable by design, and the release build aborts on one),
// the instance is dropped: every call still waiting for it fails with CORE_CRASHED (500), the
// jobs it ran are kept as failed by a fresh instance, which sends their callbacks, and the next
// request gets that fresh instance. The process goes on. Of a running job the shim keeps only
// what that needs: its process id, kind, start time, callback URL and the extension's settings
// (never the destination or its token).
import { readFileSync } from 'node:fs';
import {
	initSync,
	__wbg_reset_state as resetState,
	installPanicHook,
	Core,
	localJobDetail as localDetail,
} from '../../target/pkg/table_migration.js';
import { isTrap, watchTraps } from './traps.js';

/** @typedef {import('../../target/pkg/table_migration.js').MigrationHost} MigrationHost */
/** @typedef {import('../../target/pkg/table_migration.js').ExtensionSettings} ExtensionSettings */
/** @typedef {import('../../target/pkg/table_migration.js').JobDetail} JobDetail */
/** @typedef {import('../../target/pkg/table_migration.js').Limits} Limits */
/** @typedef {import('../../target/pkg/table_migration.js').LostJob} LostJob */
/** @typedef {{ error(line: string): void, warn(line: string): void, info(line: string): void, debug(line: string): void }} Logger */
/** The host `withCore` takes: the core's `MigrationHost`, the settings it is made with, and what frees the host. */
/** @typedef {MigrationHost & { settings: ExtensionSettings, dispose?: () => void }} CoreHost */

const SILENT = { error() {}, warn() {}, info() {}, debug() {} };
/** @type {Logger} */
let logger = SILENT;
let loaded = false;
/** Which instance a core belongs to: a core of a dropped instance is never freed into a fresh one. */
let generation = 0;
/**
 * Running jobs: processId → { job: { processId, kind, startedAt, callbackUrl }, settings, host }.
 * @type {Map<string, { job: LostJob, settings: ExtensionSettings, host: CoreHost }>}
 */
const running = new Map();
/** `fail(error)` of every call waiting for the current instance. */
const waiting = new Set();

/** Directus' logger, for the panic hook and the recovery (index.js gives it once). */
export function useLogger(directusLogger) {
	logger = directusLogger ?? SILENT;
	if (loaded) installPanicHook(logger);
}

function load() {
	if (loaded) return;
	const bytes = readFileSync(new URL('./table_migration_bg.wasm', import.meta.url));
	initSync({ module: bytes });
	installPanicHook(logger);
	// A trap's first frame is in the core's wasm (named after it); a stale callback's is in this bundle.
	watchTraps([import.meta.url.split('?')[0], 'wasm://wasm/table_migration.wasm-'], { onTrap: recover, onStale: ignoreStale });
	loaded = true;
}

function crashed() {
	const message = 'The migration core crashed and was restarted; the jobs it ran ended as failed (see the Directus log)';
	return Object.assign(new Error(message), { name: 'MigrationError', code: 'CORE_CRASHED', status: 500 });
}

function ignoreStale(error) {
	logger.debug(`[table-migration] a callback of the dropped core instance was ignored: ${error.message}`);
}

/** Drop the trapped instance, fail what waits for it, and keep its jobs as failed in a fresh one. */
function recover(error) {
	const lost = [...running.values()];
	logger.error(
		`[table-migration] the WASM core trapped (${error?.message}); ${lost.length} running job(s) end as failed, a fresh instance takes the next request`,
	);
	running.clear();
	for (const fail of waiting) fail(crashed());
	waiting.clear();
	generation += 1;
	resetState();
	installPanicHook(logger);
	for (const { job, settings, host } of lost) {
		const own = generation;
		// The job's own host: the fresh instance writes the job's end to the job table through it.
		const core = new Core(host, settings);
		new Promise((resolve) => resolve(guard(() => core.recoverJob(JSON.stringify(job)))))
			.then((report) => logger.warn(`[table-migration] job ${job.processId} ended as failed: ${report.message}`))
			.catch((failure) => logger.error(`[table-migration] job ${job.processId} could not be recovered: ${failure?.message}`))
			.finally(() => own === generation && guard(() => core.free()));
	}
}

/** Call into the core; a trap drops the instance and throws CORE_CRASHED instead. */
function guard(call) {
	try {
		return call();
	} catch (error) {
		if (!isTrap(error)) throw error;
		recover(error);
		throw crashed();
	}
}

/**
 * Run `work` with a core that reaches the source instance through `host` (see host/) and knows
 * the extension's settings (`host.settings`); the core's WASM memory, and whatever the host still
 * holds open for it, are released afterwards, whatever happens. A run's `callbackUrl` is kept
 * while its job runs, for a recovery.
 * @template T
 * @param {CoreHost} host
 * @param {(core: Core) => T | Promise<T>} work
 * @param {{ callbackUrl?: unknown }} [options]
 * @returns {Promise<T>}
 */
export async function withCore(host, work, { callbackUrl } = {}) {
	load();
	const own = generation;
	let processId = null;
	const emit = host.emit;
	if (emit) {
		host.emit = (event) => {
			if (event?.type === 'job' && own === generation) {
				processId = event.processId;
				/** @type {LostJob} */
				const job = { processId: event.processId, kind: event.kind, startedAt: Date.now() };
				if (typeof callbackUrl === 'string') job.callbackUrl = callbackUrl;
				running.set(processId, { job, settings: host.settings, host });
			}
			return emit.call(host, event);
		};
	}
	let fail;
	const lost = new Promise((_, reject) => (fail = reject));
	lost.catch(() => {});
	waiting.add(fail);
	try {
		const core = guard(() => new Core(host, host.settings));
		try {
			return await Promise.race([guard(() => work(core)), lost]);
		} finally {
			if (own === generation) guard(() => core.free());
		}
	} finally {
		waiting.delete(fail);
		if (processId && own === generation) running.delete(processId);
		host.dispose?.();
	}
}

/**
 * The bulk receiver's limits, as the core defines them: `{ maxBatchBytes, maxRows }`.
 * @returns {Limits}
 */
export function receiverLimits() {
	load();
	return guard(() => Core.receiverLimits());
}

/**
 * A job this process runs, as it is now (for a stream's heartbeat: synchronous, never the job
 * table), or null.
 * @param {string} processId
 * @returns {JobDetail | null}
 */
export function localJobDetail(processId) {
	load();
	return guard(() => localDetail(processId));
}
