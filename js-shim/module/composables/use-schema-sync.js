// @ts-check
// Step 2: POST /migration/schema-sync, streamed. A dry run (the default) shows what would change;
// applying with Mirror first does a mirror dry run, and the deletions it lists must be confirmed.
import { reactive } from 'vue';
import { useStream } from './use-stream.js';
import { errorMessage } from '../utils/errors.js';

/** @typedef {import('../utils/types.js').SyncReport} SyncReport */
/** @typedef {Extract<import('../utils/types.js').MigrationEvent, { type: 'schemaChanges' }>} SchemaChanges */

/**
 * What one sync answered: its schemaChanges events, what it kept, its lines, and its summary or
 * error.
 * @typedef {{ changes: SchemaChanges[], kept: import('../utils/types.js').Withheld[], log: string[],
 *   summary: (SyncReport & { type: 'summary' }) | null, error: string | null }} SyncResult
 */

/**
 * What a mirror sync deletes, one readable entry per collection, from its schemaChanges events.
 * @param {{ collection: string, changes?: any }[]} changes
 */
export function deletionsOf(changes) {
	const list = [];
	for (const { collection, changes: c } of changes) {
		if (c?.collection === 'delete') {
			list.push(`collection ${collection}`);
			continue;
		}
		const fields = c?.fields?.delete ?? 0;
		const relations = c?.relations?.delete ?? 0;
		if (fields) list.push(`${fields} field${fields === 1 ? '' : 's'} of ${collection}`);
		if (relations) list.push(`${relations} relation${relations === 1 ? '' : 's'} of ${collection}`);
	}
	return list;
}

/**
 * @param {object} destination  from useDestination()
 * @param {object} options      `{ force }`
 */
export function useSchemaSync(destination, options) {
	const { stream } = useStream();
	const state = reactive({
		dryRun: true,
		mirror: false,
		running: false,
		/** What the last sync did: its events and closing summary. */
		/** @type {SyncResult['changes']} */
		changes: [],
		/** @type {SyncResult['kept']} */
		kept: [],
		/** @type {string[]} */
		log: [],
		/** @type {SyncResult['summary']} */
		summary: null,
		/** @type {string | null} */
		error: null,
		/** The mirror confirmation: open while waiting for the person's answer. */
		confirm: { open: false, deletions: /** @type {string[]} */ ([]), message: '' },
		sync,
		confirmMirror,
		cancelMirror,
	});

	/** @returns {Promise<SyncResult>} */
	async function request({ dryRun, mirror }) {
		/** @type {SyncResult} */
		const result = { changes: [], kept: [], log: [], summary: null, error: null };
		try {
			await stream('/migration/schema-sync', {
				body: { ...destination.body({ force: options.force, mirror }), dryRun },
				onEvent(event) {
					if (event.type === 'summary') result.summary = /** @type {any} */ (event);
					else if (event.type === 'error') result.error = event.message;
					else {
						if (event.type === 'schemaChanges') result.changes.push(event);
						if (event.type === 'kept') result.kept.push(...(event.items ?? []));
						if (event.message) result.log.push(event.message);
					}
				},
			});
			if (!result.summary && !result.error) result.error = 'The schema sync ended without a summary.';
		} catch (error) {
			result.error = errorMessage(error);
		}
		return result;
	}

	function show(result) {
		Object.assign(state, result);
	}

	async function sync() {
		state.running = true;
		show({ changes: [], kept: [], log: [], summary: null, error: null });
		try {
			if (!state.dryRun && state.mirror) {
				// Nothing is deleted before the person has seen what would be.
				const preview = await request({ dryRun: true, mirror: true });
				if (preview.error) return show(preview);
				const deletions = deletionsOf(preview.changes);
				if (deletions.length > 0) {
					show(preview);
					state.confirm = { open: true, deletions, message: preview.summary?.message ?? '' };
					return;
				}
			}
			show(await request({ dryRun: state.dryRun, mirror: state.mirror }));
		} finally {
			state.running = false;
		}
	}

	async function confirmMirror() {
		state.confirm = { open: false, deletions: [], message: '' };
		state.running = true;
		try {
			show(await request({ dryRun: false, mirror: true }));
		} finally {
			state.running = false;
		}
	}

	function cancelMirror() {
		state.confirm = { open: false, deletions: [], message: '' };
	}

	return state;
}
