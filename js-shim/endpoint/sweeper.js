// @ts-check
// Every process of the instance sweeps the job table every few seconds (the core decides what
// that does: take over the jobs of a process that died and run them on from their checkpoint,
// deliver the callbacks still due, let go of old jobs). A job it takes over runs here, in the
// background, with a host that reads the source as an administrator without a user (no caller).
import { withCore } from './core.js';
import { createHost } from './host/index.js';

export const SWEEP_MS = 5_000;

/**
 * Who a job taken over reads the source as: an administrator (Directus' SchemaService refuses
 * anything less), no user — as Directus' own background tasks do.
 */
export const SYSTEM_ADMIN = Object.freeze({ admin: true, app: false, user: null, role: null, roles: [], ip: null });

/** Run the job `processId`, which this process holds, to its end (in the background). */
export function continueJob(context, processId, accountability = SYSTEM_ADMIN) {
	const host = createHost(context, { accountability });
	return withCore(host, (core) => core.continueJob(processId)).then((report) => {
		context.logger.info(`[table-migration] job ${processId} ended: ${report.status}`);
		return report;
	});
}

/** Start sweeping; returns a function that stops. */
export function startSweeping(context) {
	let sweeping = false;
	const sweep = async () => {
		if (sweeping) return;
		sweeping = true;
		try {
			const swept = await withCore(createHost(context, { accountability: SYSTEM_ADMIN }), (core) => core.sweep());
			for (const id of swept.resume ?? []) {
				continueJob(context, id).catch((error) =>
					context.logger.error(`[table-migration] job ${id} could not be run on: ${error?.message ?? error}`),
				);
			}
		} catch (error) {
			context.logger.warn(`[table-migration] the sweep of the job table failed: ${error?.message ?? error}`);
		} finally {
			sweeping = false;
		}
	};
	const timer = setInterval(sweep, SWEEP_MS);
	timer.unref?.();
	return () => clearInterval(timer);
}
