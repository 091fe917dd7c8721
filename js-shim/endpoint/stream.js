// @ts-check
// Progress streams: chunked text/plain lines (one per event, flushed as they happen) or, with
// `Accept: application/x-ndjson`, one JSON object per line. Headers go out with the first event,
// so a request the core refuses before any progress still gets a plain HTTP error. A stream is
// never silent for 15 s (a heartbeat line keeps clients and proxies from timing out), and a
// client that goes away stops the writing, not the work.
import { errorAnswer, logServerError } from './errors.js';

/** @typedef {import('../../target/pkg/table_migration.js').MigrationEvent} MigrationEvent */
/** @typedef {import('../../target/pkg/table_migration.js').RunReport} RunReport */
/** @typedef {import('../../target/pkg/table_migration.js').SyncReport} SyncReport */
/** @typedef {import('../../target/pkg/table_migration.js').Verification} Verification */

const HEARTBEAT_MS = 15_000;

/** A caller that asks for JSON and not NDJSON (a Flow's "Request URL") gets one answer at the end. */
export function wantsJson(req) {
	const accept = req.get('accept') ?? '';
	return accept.includes('application/json') && !accept.includes('application/x-ndjson');
}

/**
 * @param {any} req  express' request
 * @param {any} res  express' response
 * @param {any} logger  Directus' logger
 * @param {{ heartbeat?: () => unknown }} [options]
 */
export function progressStream(req, res, logger, { heartbeat } = {}) {
	const ndjson = (req.get('accept') ?? '').includes('application/x-ndjson');
	let open = false;
	let summarized = false;
	let lastWrite = Date.now();
	let timer = null;
	const gone = () => res.writableEnded || res.destroyed;

	const line = (object, text) => `${ndjson ? JSON.stringify(object) : text}\n`;
	const write = (text) => {
		if (gone()) return;
		lastWrite = Date.now();
		res.write(text);
	};
	const stop = () => timer && clearInterval(timer);
	res.on('close', stop);

	const start = (headers = {}) => {
		if (open) return;
		open = true;
		res.status(200);
		res.setHeader('Content-Type', ndjson ? 'application/x-ndjson; charset=utf-8' : 'text/plain; charset=utf-8');
		res.setHeader('Cache-Control', 'no-cache');
		res.setHeader('X-Accel-Buffering', 'no');
		for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
		res.flushHeaders();
		if (heartbeat) {
			timer = setInterval(() => {
				if (Date.now() - lastWrite < HEARTBEAT_MS) return;
				const beat = { type: 'heartbeat', progress: true, message: heartbeat() };
				write(line(beat, beat.message));
			}, 1_000);
			timer.unref?.();
		}
	};

	return {
		/**
		 * A progress event from the core.
		 * @param {MigrationEvent} event
		 */
		event(event) {
			if (!event.progress || gone()) return;
			start(event.type === 'job' ? { 'X-Migration-Process-Id': event.processId } : {});
			if (event.type === 'summary') summarized = true;
			write(line(event, event.message));
		},
		/**
		 * The end: the report's summary line, unless a job already streamed it as its last event.
		 * @param {RunReport | SyncReport | Verification} report
		 */
		finish(report) {
			stop();
			if (gone()) return;
			start();
			if (!summarized) write(line({ type: 'summary', ...report }, report.message));
			res.end();
		},
		/** Before any progress: a plain HTTP error. After: a closing error line. */
		fail(error) {
			stop();
			const { httpStatus, body } = errorAnswer(error);
			logServerError(logger, req, httpStatus, error);
			if (gone()) return;
			if (!open) {
				res.status(httpStatus).json(body);
				return;
			}
			res.end(line({ type: 'error', ...body }, `FAILED: ${body.message}`));
		},
	};
}
