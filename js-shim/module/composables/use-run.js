// @ts-check
// Step 5: a migration (POST /migration/run or /migration/dry-run, streamed) and its live progress.
//
// Every run is a job on the endpoint (README, "Jobs"): its stream opens with the job's process id,
// Cancel asks POST /migration/jobs/:id/cancel to stop it, and the run ends with its report. The
// state lives at module level, outside the page component, and never holds the token (the request
// body is built by the caller and handed to fetch only). Leaving the page stops following the
// stream, not the run; a page opened later, or in another tab, finds the running job with
// GET /migration/jobs and follows GET /migration/jobs/:id/events, which replays the lines the job
// kept and then goes on live.
import { reactive } from 'vue';
import { useApi } from '@directus/extensions-sdk';
import { useStream } from './use-stream.js';
import { errorMessage, statusOf } from '../utils/errors.js';

export const LOG_LIMIT = 500;
/** Attempts to pick a job's events up again when a stream ends before the job's report. */
const FOLLOW_ATTEMPTS = 3;

/** @typedef {import('../utils/types.js').StreamLine} StreamLine */
/** @typedef {import('../utils/types.js').RunReport} RunReport */

/**
 * A table's counts as the page shows them.
 * @typedef {{ collection: string, total: number, read: number, created: number, updated: number,
 *   deleted: number, skipped: number, failed: number, done: boolean }} TableLine
 */

/**
 * The run the page shows.
 * @typedef {object} RunState
 * @property {'idle' | 'running' | 'done'} phase
 * @property {'run' | 'dry-run'} kind
 * @property {string | null} processId
 * @property {string} destination
 * @property {string[]} selectedTables
 * @property {number | null} startedAt
 * @property {number | null} endedAt
 * @property {number} plannedRows
 * @property {Record<string, TableLine>} tables
 * @property {{ id: number, message: string, level: string }[]} log
 * @property {number} logDropped
 * @property {(RunReport & { type: 'summary' }) | null} report
 * @property {string | null} error
 * @property {boolean} cancelling
 * @property {boolean} following
 * @property {number | null} lastEventAt
 * @property {{ message: string, at: number } | null} heartbeat
 */

/** @returns {RunState} */
const blank = () => ({
	phase: 'idle', // idle | running | done
	kind: 'run', // run | dry-run
	processId: null,
	destination: '',
	selectedTables: [],
	startedAt: null,
	endedAt: null,
	/** Rows to do in all, from the run's `planned` event (or the job's counters). */
	plannedRows: 0,
	tables: {},
	log: [],
	logDropped: 0,
	report: null,
	error: null,
	cancelling: false,
	/** Whether this page reads the run's stream right now. */
	following: false,
	/** When the last event other than a heartbeat arrived (page clock, ms). */
	lastEventAt: null,
	/** The last heartbeat since then, `{ message, at }`: the run is alive but has nothing new to say. */
	heartbeat: null,
});

const state = reactive({ ...blank(), now: Date.now() });
let controller = null;
/** Bumped whenever the page stops following a stream (or starts another), so the old one goes quiet. */
let generation = 0;
/** Cancel was asked before the run had said its process id: send it once it has. */
let cancelPending = false;
let ticker = null;
let lineId = 0;

/** The run's state (the page reads it through useRun(); exported for the Node tests). */
export { state as runState };

/** Forget the run shown, and show `fields` instead. */
export function resetRun(fields) {
	cancelPending = false;
	Object.assign(state, blank(), fields);
}

function tick(on) {
	if (on && !ticker) ticker = setInterval(() => (state.now = Date.now()), 1000);
	if (!on && ticker) {
		clearInterval(ticker);
		ticker = null;
	}
	state.now = Date.now();
}

function log(message, level = 'info') {
	if (!message) return;
	state.log.push({ id: ++lineId, message, level });
	if (state.log.length > LOG_LIMIT) {
		const excess = state.log.length - LOG_LIMIT;
		state.log.splice(0, excess);
		state.logDropped += excess;
	}
}

/**
 * A table's counts; within a job they only grow, so a replayed older line never lowers them.
 * @param {Record<string, any>} row  a `rows` event, a table's report, or a job's table counters
 */
function setTable(row) {
	const previous = state.tables[row.collection] ?? {};
	const most = (key) => Math.max(row[key] ?? 0, previous[key] ?? 0);
	state.tables[row.collection] = {
		collection: row.collection,
		total: Math.max(most('total'), most('read')),
		read: most('read'),
		created: most('created'),
		updated: most('updated'),
		deleted: most('deleted'),
		skipped: most('skipped'),
		failed: most('failed'),
		done: row.done ?? previous.done ?? false,
	};
}

const LEVELS = { rowFailed: 'error', error: 'error', retry: 'warning' };

/**
 * Apply one event of a run's stream (or of a job's events).
 * @param {StreamLine} event
 */
export function applyEvent(event) {
	if (event.type === 'heartbeat') {
		state.heartbeat = { message: event.message || 'Still working', at: Date.now() };
		return; // an indicator, not a log line
	}
	state.heartbeat = null;
	state.lastEventAt = Date.now();
	switch (event.type) {
		case 'job':
			state.processId = event.processId ?? state.processId;
			if (cancelPending) {
				cancelPending = false;
				requestCancel();
			}
			break;
		case 'planned':
			if (Number.isFinite(event.totalRows)) state.plannedRows = event.totalRows;
			for (const planned of event.collections ?? []) setTable({ collection: planned.collection, total: planned.total });
			break;
		case 'rows':
			setTable(event);
			return; // the table shows it; the log would repeat every batch
		case 'deleted':
			if (state.tables[event.collection]) setTable({ collection: event.collection, deleted: event.deleted });
			break;
		case 'tableDone':
			if (event.report) setTable({ ...event.report, done: true });
			break;
		case 'summary':
			// (Vue's reactive unwrapping of the report's JSON values is too deep for tsc to follow.)
			state.report = /** @type {any} */ (event);
			return finish();
		case 'error':
			state.error = event.message ?? 'The migration failed.';
			finish();
			break;
	}
	const level = LEVELS[event.type] ?? (event.type === 'pace' && event.reason ? 'warning' : 'info');
	log(event.message, level);
}

/** The run's phase as it is now (events change it while a request is awaited). */
function phaseNow() {
	return state.phase;
}

function finish() {
	if (state.phase === 'done') return;
	state.phase = 'done';
	state.cancelling = false;
	state.heartbeat = null;
	cancelPending = false;
	state.endedAt = Date.now();
	tick(false);
}

/** Rows done, rows to do, and the rates derived from them. */
export function progressOf(s = state) {
	const tables = Object.values(s.tables);
	const done = tables.reduce((sum, t) => sum + (t.read ?? 0), 0);
	const seen = tables.reduce((sum, t) => sum + (t.total ?? 0), 0);
	const total = Math.max(s.plannedRows ?? 0, seen, done);
	// The report's own timing, once there is one; the page's clock until then.
	const report = s.report && Number.isFinite(s.report.seconds) ? s.report : null;
	const elapsed = report ? report.seconds : s.startedAt ? Math.max(0, ((s.endedAt ?? s.now) - s.startedAt) / 1000) : 0;
	const rate = report && Number.isFinite(report.rowsPerSecond) ? report.rowsPerSecond : elapsed > 0 ? done / elapsed : 0;
	let left = null; // unknown
	if (s.phase === 'done') left = done >= total ? 0 : NaN; // NaN: it stopped short, nothing is left to wait for
	else if (total > 0 && done >= total) left = 0;
	else if (rate > 0 && total > done) left = (total - done) / rate;
	return { done, total, percent: total > 0 ? Math.min(100, (done / total) * 100) : 0, elapsed, rate, left };
}

/** Seconds the run has been quiet (heartbeats aside), for the "still working" indicator. */
export function quietFor(s = state) {
	return s.lastEventAt ? Math.max(0, (s.now - s.lastEventAt) / 1000) : 0;
}

let api = null;

/** Ask the endpoint to stop the job; the stream then ends with its "cancelled" report. */
async function requestCancel() {
	const id = state.processId;
	try {
		const { data } = await api.post(`/migration/jobs/${encodeURIComponent(String(id))}/cancel`, {});
		if (id !== state.processId || state.phase !== 'running') return;
		log(data?.status === 'cancelling' ? `Cancelling: ${data.message}` : data?.message, 'warning');
	} catch (error) {
		if (id !== state.processId) return;
		state.cancelling = false;
		log(`Cancel failed: ${errorMessage(error)}`, 'error');
	}
}

export function useRun() {
	api = useApi();
	const { stream } = useStream();

	/** The jobs the endpoint knows, newest first. */
	async function jobs() {
		const { data } = await api.get('/migration/jobs');
		return Array.isArray(data) ? data : Array.isArray(data?.data) ? data.data : [];
	}

	/**
	 * Read a streamed route into the state until it ends. Resolves `ended`, or `detached` when the
	 * page stopped following it (left the page) or started following another.
	 */
	async function follow(path, options) {
		const mine = ++generation;
		controller?.abort();
		controller = new AbortController();
		state.following = true;
		try {
			await stream(path, { ...options, signal: controller.signal, onEvent: (event) => mine === generation && applyEvent(event) });
			return mine === generation ? 'ended' : 'detached';
		} catch (error) {
			if (mine !== generation) return 'detached';
			throw error;
		} finally {
			if (mine === generation) {
				controller = null;
				state.following = false;
			}
		}
	}

	/** What the job's counters say (after coming back, or in another tab), before its events. */
	function applyDetail(detail) {
		if (detail.kind) state.kind = detail.kind === 'dry-run' ? 'dry-run' : 'run';
		if (detail.destination) state.destination = detail.destination;
		if (Array.isArray(detail.selectedTables)) state.selectedTables = detail.selectedTables;
		if (Number.isFinite(detail.rows?.total)) state.plannedRows = Math.max(state.plannedRows, detail.rows.total);
		for (const table of detail.tables ?? []) setTable(table);
		// The server's clock says how long it has run; the page's clock takes it from here.
		if (Number.isFinite(detail.seconds)) state.startedAt = Date.now() - detail.seconds * 1000;
		if (detail.phase === 'cancelling') state.cancelling = true;
		// The events replay the lines the job kept: the log starts again from them.
		state.log = [];
		state.logDropped = detail.linesDropped ?? 0;
		state.lastEventAt = Date.now();
		if (detail.report) {
			state.report = { ...detail.report, type: 'summary' };
			finish();
		} else if (detail.status && detail.status !== 'running') {
			state.error = `The migration ended (${detail.status}) without a report.`;
			finish();
		}
	}

	/** Follow the job's events (after its counters) until its report, or until the page leaves. */
	async function followJob() {
		const mine = generation;
		const id = encodeURIComponent(String(state.processId));
		const { data } = await api.get(`/migration/jobs/${id}`);
		if (mine !== generation) return 'detached';
		applyDetail(data?.data ?? data);
		if (state.phase !== 'running') return 'ended';
		return follow(`/migration/jobs/${id}/events`, { method: 'GET' });
	}

	/** Follow the running job until it reports, picking its events up again if a stream breaks. */
	async function keepFollowing() {
		for (let attempt = 1; state.phase === 'running'; attempt++) {
			let outcome;
			try {
				outcome = await followJob();
			} catch (error) {
				outcome = error;
				if (statusOf(error) === 404) attempt = FOLLOW_ATTEMPTS; // the endpoint no longer knows it
			}
			if (outcome === 'detached' || state.phase !== 'running') return;
			if (attempt >= FOLLOW_ATTEMPTS) {
				state.error = outcome instanceof Error ? errorMessage(outcome) : 'The job\'s events ended before it reported its outcome.';
				return finish();
			}
			const waiting = generation;
			await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
			if (waiting !== generation) return; // the page left meanwhile
		}
	}

	/**
	 * Start a migration.
	 * @param {object} body  `{ baseURL, token, scope }` (used for this request only, never kept)
	 * @param {{ dryRun: boolean, destination: string }} info
	 */
	async function start(body, { dryRun, destination }) {
		if (state.phase === 'running') return;
		resetRun({ phase: 'running', kind: dryRun ? 'dry-run' : 'run', destination, selectedTables: body.scope?.selectedTables ?? [], startedAt: Date.now() });
		tick(true);
		try {
			const outcome = await follow(dryRun ? '/migration/dry-run' : '/migration/run', {
				body,
				onResponse(response) {
					const id = response.headers.get('X-Migration-Process-Id');
					if (id) state.processId = id;
				},
			});
			// (The phase is read again: the stream changed it meanwhile.)
			if (outcome === 'ended' && phaseNow() === 'running') {
				if (state.processId) return keepFollowing(); // the run goes on as a job: follow it there
				state.error = 'The connection closed before the migration reported its outcome.';
				finish();
			}
		} catch (error) {
			if (state.processId && phaseNow() === 'running') return keepFollowing();
			// Another migration to this destination is running (started elsewhere): follow that one.
			const data = error?.response?.data ?? error?.data;
			const running = statusOf(error) === 409 && data?.code === 'JOB_RUNNING' ? data.processId : null;
			if (running) {
				resetRun({ phase: 'running', processId: running, destination, startedAt: Date.now() });
				log(`Not started: ${error.message}. Following that migration.`, 'warning');
				return keepFollowing();
			}
			state.error = errorMessage(error);
			finish();
		}
	}

	/** Follow a job that is already running (after coming back to the page, or in another tab). */
	async function attach(job) {
		if (job.processId !== state.processId) {
			resetRun({
				kind: job.kind === 'dry-run' ? 'dry-run' : 'run',
				processId: job.processId,
				destination: job.destination ?? '',
				selectedTables: job.selectedTables ?? [],
				startedAt: Date.parse(job.startedAt) || Date.now(),
			});
		}
		state.phase = 'running';
		tick(true);
		await keepFollowing();
	}

	/**
	 * On opening the page: go on following the run this page started, or find the migration
	 * running on the endpoint (started in another tab, by a Flow or over REST) and follow it.
	 */
	async function resume() {
		if (state.phase === 'running' && state.following) return;
		let list;
		try {
			list = await jobs();
		} catch (error) {
			if (state.phase === 'running') {
				state.error = `The migration could not be found again: ${errorMessage(error)}`;
				finish();
			}
			return;
		}
		const mine = state.phase === 'running' ? list.find((job) => job.processId === state.processId) : null;
		const running = mine ?? list.find((job) => job.status === 'running');
		if (running) return attach(running);
		if (state.phase === 'running') {
			state.error = 'The migration is no longer known to the server.';
			finish();
		}
	}

	/** Leaving the page: stop reading the stream; the run goes on as a job, found again by resume(). */
	function detach() {
		// A run that has not said its process id yet could not be found again: keep reading it.
		if (state.phase !== 'running' || !state.processId) return;
		generation++;
		controller?.abort();
		controller = null;
		state.following = false;
		tick(false);
	}

	async function cancel() {
		if (state.phase !== 'running' || state.cancelling) return;
		state.cancelling = true;
		if (state.processId) return requestCancel();
		cancelPending = true; // the run has not said its id yet: cancel it as soon as it has
		log('Cancelling as soon as the migration has started…', 'warning');
	}

	return { state, start, attach, resume, detach, cancel, jobs };
}
