// @ts-check
// The jobs of the instance, as the job table in its database keeps them — every Directus process
// answers for every job: GET /migration/jobs (newest first), GET /migration/jobs/:processId
// (status, phase, per-table progress, rows/s, time left, the report once done),
// GET /migration/jobs/:processId/events (its progress lines kept so far, then live until it ends:
// text, or NDJSON with `Accept: application/x-ndjson`), POST /migration/jobs/:processId/cancel
// (the process running it stops at its next batch) and POST /migration/jobs/:processId/resume
// (a cancelled or failed job goes on from its checkpoint, in this process).
import { withCore } from '../core.js';
import { createHost } from '../host/index.js';
import { logServerError, route } from '../errors.js';
import { progressStream } from '../stream.js';
import { continueJob } from '../sweeper.js';

const POLL_MS = 500;

/** One call into a core bound to the caller. */
function ask(context, req, call) {
	return withCore(createHost(context, { accountability: req.accountability }), call);
}

export function listJobsRoute(context) {
	return route(context.logger, async (req, res) => res.json(await ask(context, req, (core) => core.listJobs())));
}

export function jobRoute(context) {
	return route(context.logger, async (req, res) => res.json(await ask(context, req, (core) => core.jobDetail(req.params.processId))));
}

export function cancelJobRoute(context) {
	return route(context.logger, async (req, res) => res.status(202).json(await ask(context, req, (core) => core.cancelJob(req.params.processId))));
}

export function resumeJobRoute(context) {
	return route(context.logger, async (req, res) => {
		const id = req.params.processId;
		const answer = await ask(context, req, (core) => core.resumeJob(id));
		continueJob(context, id, req.accountability).catch((error) => logServerError(context.logger, req, 500, error));
		res.status(202).json(answer);
	});
}

export function jobEventsRoute(context) {
	return route(context.logger, async (req, res) => {
		const id = req.params.processId;
		const lines = (since) => ask(context, req, (core) => core.jobLines(id, since));
		let seq = -1;
		let next = await lines(seq); // refuses an unknown job before anything streams
		let phase = 'working';
		const stream = progressStream(req, res, context.logger, { heartbeat: () => `Still working: ${phase}` });
		let closed = false;
		res.on('close', () => (closed = true));
		for (;;) {
			for (const line of next.lines) {
				stream.event(line);
				seq = Math.max(seq, line.seq);
				if (line.type === 'step') phase = line.message;
			}
			if (next.done || closed) break;
			await new Promise((resolve) => setTimeout(resolve, POLL_MS));
			next = await lines(seq);
		}
		const job = await ask(context, req, (core) => core.jobDetail(id));
		stream.finish(job.report ?? { message: `Job ${id} ended` });
	});
}
