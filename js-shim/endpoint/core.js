// Loads the WASM core once (the .wasm file sits beside dist/api.js) and creates cores bound to a
// host. Nothing else in the shim imports the generated bindings.
import { readFileSync } from 'node:fs';
import { initSync, Core, listJobs as list, jobDetail as detail, jobLines as lines, cancelJob as cancel } from '../../target/pkg/table_migration.js';

let loaded = false;

function load() {
	if (loaded) return;
	const bytes = readFileSync(new URL('./table_migration_bg.wasm', import.meta.url));
	initSync({ module: bytes });
	loaded = true;
}

/**
 * Run `work` with a core that reaches the source instance through `host` (see host/) and knows
 * the extension's settings (`host.settings`); the core's WASM memory, and whatever the host still
 * holds open for it, are released afterwards, whatever happens.
 */
export async function withCore(host, work) {
	load();
	const core = new Core(host, host.settings);
	try {
		return await work(core);
	} finally {
		core.free();
		host.dispose?.();
	}
}

/** The bulk receiver's limits, as the core defines them: `{ maxBatchBytes, maxRows }`. */
export function receiverLimits() {
	load();
	return Core.receiverLimits();
}

/** The jobs of this process (see routes/jobs.js); each throws a `MigrationError` for a bad id. */
export function listJobs() {
	load();
	return list();
}

export function jobDetail(processId) {
	load();
	return detail(processId);
}

export function jobLines(processId, since) {
	load();
	return lines(processId, since);
}

export function cancelJob(processId) {
	load();
	return cancel(processId);
}
