// Progress streams: chunked text/plain lines (one per event, flushed as they happen) or, with
// `Accept: application/x-ndjson`, one JSON object per line. Headers go out with the first event,
// so a request the core refuses before any progress still gets a plain HTTP error.
import { errorAnswer, logServerError } from './errors.js';

export function progressStream(req, res, logger) {
	const ndjson = (req.get('accept') ?? '').includes('application/x-ndjson');
	let open = false;

	const start = () => {
		if (open) return;
		open = true;
		res.status(200);
		res.setHeader('Content-Type', ndjson ? 'application/x-ndjson; charset=utf-8' : 'text/plain; charset=utf-8');
		res.setHeader('Cache-Control', 'no-cache');
		res.setHeader('X-Accel-Buffering', 'no');
		res.flushHeaders();
	};
	const line = (object, text) => `${ndjson ? JSON.stringify(object) : text}\n`;

	return {
		/** A progress event from the core (see MigrationEvent). */
		event(event) {
			if (!event.progress || res.writableEnded) return;
			start();
			res.write(line(event, event.message));
		},
		/** The final report: its `message` is the closing line. */
		finish(report) {
			start();
			res.end(line({ type: 'summary', ...report }, report.message));
		},
		/** Before any progress: a plain HTTP error. After: a closing error line. */
		fail(error) {
			const { httpStatus, body } = errorAnswer(error);
			logServerError(logger, req, httpStatus, error);
			if (!open) {
				res.status(httpStatus).json(body);
				return;
			}
			res.end(line({ type: 'error', ...body }, `FAILED: ${body.message}`));
		},
	};
}
