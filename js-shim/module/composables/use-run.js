// Step 5: a migration (POST /migration/run or /migration/dry-run, streamed) and its live progress.
//
// The state lives at module level, outside the page component, so leaving the page and coming
// back while a run streams shows it again. It never holds the token: the request body is built
// by the caller and handed to fetch only. Where the endpoint has job routes (GET /migration/jobs
// answers), a run is a job: Cancel asks the endpoint to stop it, and a page opened later (or in
// another tab) finds the running job and follows its events. Without them (404), Cancel aborts
// the request.
import { reactive } from 'vue';
import { useApi } from '@directus/extensions-sdk';
import { useStream } from './use-stream.js';
import { errorMessage, statusOf } from '../utils/errors.js';

export const LOG_LIMIT = 500;

const blank = () => ({
	phase: 'idle', // idle | running | done
	kind: 'run', // run | dry-run
	processId: null,
	destination: '',
	selectedTables: [],
	startedAt: null,
	endedAt: null,
	/** Rows to do in all, when the endpoint has said. */
	plannedRows: 0,
	tables: {},
	log: [],
	logDropped: 0,
	report: null,
	error: null,
	cancelling: false,
	aborted: false,
});

const state = reactive({ ...blank(), jobs: null /* null: not asked yet, true/false: job routes answer */, now: Date.now() });
let controller = null;
let ticker = null;
let lineId = 0;

function reset(fields) {
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

function setTable(row) {
	const previous = state.tables[row.collection] ?? {};
	state.tables[row.collection] = {
		collection: row.collection,
		total: Math.max(row.total ?? 0, row.read ?? 0, previous.total ?? 0),
		read: row.read ?? 0,
		created: row.created ?? 0,
		skipped: row.skipped ?? 0,
		failed: row.failed ?? 0,
		done: row.done ?? previous.done ?? false,
	};
}

// The plan's size is only in the opening line's text so far ("Migrating 4 collection(s), 509
// row(s), to …"); a structured count, where an event carries one, wins.
function plannedRowsOf(event) {
	for (const key of ['plannedRows', 'totalRows']) if (Number.isFinite(event[key])) return event[key];
	if (Number.isFinite(event.rows?.total)) return event.rows.total;
	const match = /^Migrating \d+ collection\(s\), (\d+) row\(s\)/.exec(event.message ?? '');
	return match ? Number(match[1]) : null;
}

/** Apply one event of a run's stream (or of a job's events). */
export function applyEvent(event) {
	switch (event.type) {
		case 'job':
			state.processId = event.processId ?? state.processId;
			state.jobs = true;
			break;
		case 'rows':
			setTable(event);
			return; // the table shows it; the log would repeat every batch
		case 'tableDone':
			if (event.report) setTable({ ...event.report, total: event.report.read, done: true });
			break;
		case 'summary':
			state.report = event;
			finish();
			break;
		case 'error':
			state.error = event.message ?? 'The migration failed.';
			finish();
			break;
		default: {
			const planned = plannedRowsOf(event);
			if (planned !== null && !state.plannedRows) state.plannedRows = planned;
		}
	}
	const level = event.type === 'rowFailed' || event.type === 'error' ? 'error' : event.type === 'retry' ? 'warning' : 'info';
	if (event.type !== 'summary') log(event.message, level);
}

function finish() {
	if (state.phase === 'done') return;
	state.phase = 'done';
	state.cancelling = false;
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
	const reported = s.report && Number.isFinite(s.report.seconds);
	const elapsed = reported ? s.report.seconds : s.startedAt ? Math.max(0, ((s.endedAt ?? s.now) - s.startedAt) / 1000) : 0;
	const rate = reported && Number.isFinite(s.report.rowsPerSecond) ? s.report.rowsPerSecond : elapsed > 0 ? done / elapsed : 0;
	let left = null; // unknown
	if (s.phase === 'done') left = done >= total ? 0 : NaN; // NaN: it stopped short, nothing is left to wait for
	else if (total > 0 && done >= total) left = 0;
	else if (rate > 0 && total > done) left = (total - done) / rate;
	return { done, total, percent: total > 0 ? Math.min(100, (done / total) * 100) : 0, elapsed, rate, left };
}

export function useRun() {
	const api = useApi();
	const { stream } = useStream();

	/** Whether the endpoint has job routes, and the jobs it knows (newest first). */
	async function jobs() {
		try {
			const { data } = await api.get('/migration/jobs');
			const list = Array.isArray(data) ? data : Array.isArray(data?.data) ? data.data : [];
			state.jobs = true;
			return list;
		} catch (error) {
			if (statusOf(error) === 404) state.jobs = false;
			return [];
		}
	}

	/**
	 * Start a migration.
	 * @param {object} body  `{ baseURL, token, scope }` (used for this request only, never kept)
	 * @param {{ dryRun: boolean, destination: string }} info
	 */
	async function start(body, { dryRun, destination }) {
		if (state.phase === 'running') return;
		reset({ phase: 'running', kind: dryRun ? 'dry-run' : 'run', destination, selectedTables: body.scope?.selectedTables ?? [], startedAt: Date.now() });
		tick(true);
		controller = new AbortController();
		try {
			await stream(dryRun ? '/migration/dry-run' : '/migration/run', {
				body,
				signal: controller.signal,
				onResponse(response) {
					const id = response.headers.get('X-Migration-Process-Id');
					if (id) state.processId = id;
				},
				onEvent: applyEvent,
			});
			if (state.phase !== 'done') {
				state.error = 'The connection closed before the migration reported its outcome.';
				finish();
			}
		} catch (error) {
			if (!state.aborted) state.error = errorMessage(error);
			finish();
		} finally {
			controller = null;
		}
	}

	/** Follow a job that is already running (after coming back to the page, or in another tab). */
	async function attach(job) {
		reset({
			phase: 'running',
			kind: job.kind === 'dry-run' ? 'dry-run' : 'run',
			processId: job.processId,
			destination: job.destination ?? '',
			selectedTables: job.selectedTables ?? [],
			startedAt: Date.parse(job.startedAt) || Date.now(),
		});
		tick(true);
		try {
			const { data } = await api.get(`/migration/jobs/${encodeURIComponent(job.processId)}`);
			const detail = data?.data ?? data;
			if (Number.isFinite(detail?.rows?.total)) state.plannedRows = detail.rows.total;
			for (const table of detail?.tables ?? []) setTable(table);
			if (detail?.report) {
				state.report = detail.report;
				return finish();
			}
		} catch {
			// the events below carry the same
		}
		controller = new AbortController();
		try {
			await stream(`/migration/jobs/${encodeURIComponent(job.processId)}/events`, {
				method: 'GET',
				signal: controller.signal,
				onEvent: applyEvent,
			});
			if (state.phase !== 'done') {
				state.error = 'The job\'s events ended before it reported its outcome.';
				finish();
			}
		} catch (error) {
			if (!state.aborted) state.error = errorMessage(error);
			finish();
		} finally {
			controller = null;
		}
	}

	/** On opening the page: keep showing a run this page follows, or find one running elsewhere. */
	async function resume() {
		if (state.phase === 'running' || state.jobs === false) return;
		const list = await jobs();
		const running = list.find((job) => job.status === 'running');
		if (running) await attach(running);
	}

	async function cancel() {
		if (state.phase !== 'running' || state.cancelling) return;
		state.cancelling = true;
		if (state.processId && state.jobs !== false) {
			try {
				await api.post(`/migration/jobs/${encodeURIComponent(state.processId)}/cancel`, {});
				log('Cancelling: the migration stops after the batch in progress.', 'warning');
				return; // the stream ends with the job's summary (status "cancelled")
			} catch (error) {
				if (statusOf(error) !== 404) {
					state.cancelling = false;
					log(`Cancel failed: ${errorMessage(error)}`, 'error');
					return;
				}
				state.jobs = false;
			}
		}
		state.aborted = true;
		controller?.abort();
		state.error = null;
		log('Cancelled: the page closed the connection to the migration.', 'warning');
		finish();
	}

	return { state, start, attach, resume, cancel, jobs };
}
