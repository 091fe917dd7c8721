// @ts-check
// POST /migration/run and /migration/dry-run. Every run is a job (see routes/jobs.js); how the
// caller hears of it depends on the request:
// - with `callbackUrl`: 202 `{ status: "started", processId, … }` once everything that could refuse
//   the run has accepted it, then the run goes on in the background and its outcome is POSTed to
//   the callback (refusals are plain HTTP errors, as always);
// - with `Accept: application/x-ndjson`, or a client that accepts text: the progress streamed,
//   first line the job, last line the report, a heartbeat at least every 15 s; a client that goes
//   away leaves the run going on as a job;
// - with `Accept: application/json` (a Flow's "Request URL"): one JSON answer at the end, the
//   report, with an HTTP status that tells the outcome (`report.httpStatus`).
import { localJobDetail, withCore } from '../core.js';
import { createHost } from '../host/index.js';
import { bodyText, logServerError, route } from '../errors.js';
import { progressStream, wantsJson } from '../stream.js';

/** How the caller wants to hear of the run. */
function modeOf(req) {
	if (req.body?.callbackUrl !== undefined) return 'callback';
	return wantsJson(req) ? 'json' : 'stream';
}

/** A heartbeat line from the job's counters. */
function heartbeatOf(processId) {
	return () => {
		try {
			const job = processId() && localJobDetail(processId());
			if (!job) return 'Still working';
			const { read, total } = job.rows;
			return `Still working: ${job.phase} (${read} of ${total} row(s) read, ${job.rowsPerSecond} rows/s)`;
		} catch {
			return 'Still working';
		}
	};
}

export function migrateRoute(context, { dryRun }) {
	const start = (host, body, callbackUrl) =>
		withCore(host, (core) => (dryRun ? core.dryRun(body) : core.run(body)), { callbackUrl });

	return route(context.logger, async (req, res) => {
		const body = bodyText(req);
		const mode = modeOf(req);

		if (mode === 'json') {
			const report = await start(createHost(context, { accountability: req.accountability }), body);
			return res.status(report.httpStatus ?? 200).json(report);
		}

		if (mode === 'callback') {
			let processId = null;
			let accepted;
			const started = new Promise((resolve) => (accepted = resolve));
			const onEvent = (event) => {
				if (event.type === 'job') processId = event.processId;
				if (event.type === 'started') accepted();
			};
			const running = start(createHost(context, { accountability: req.accountability, onEvent }), body, req.body.callbackUrl);
			// Refused before it started: the error answers (through route). Started: 202.
			await Promise.race([started, running]);
			running.catch((error) => logServerError(context.logger, req, 500, error));
			return res.status(202).json({
				status: 'started',
				processId,
				message: 'Migration started in background',
				timestamp: new Date().toISOString(),
			});
		}

		let processId = null;
		const stream = progressStream(req, res, context.logger, { heartbeat: heartbeatOf(() => processId) });
		const onEvent = (event) => {
			if (event.type === 'job') processId = event.processId;
			stream.event(event);
		};
		try {
			stream.finish(await start(createHost(context, { accountability: req.accountability, onEvent }), body));
		} catch (error) {
			stream.fail(error);
		}
	});
}
