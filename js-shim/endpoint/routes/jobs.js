// The jobs of this instance: GET /migration/jobs (newest first), GET /migration/jobs/:processId
// (status, phase, per-table progress, rows/s, time left, the report once done),
// GET /migration/jobs/:processId/events (its progress lines kept so far, then live until it ends:
// text, or NDJSON with `Accept: application/x-ndjson`), POST /migration/jobs/:processId/cancel.
import { cancelJob, jobDetail, jobLines, listJobs } from '../core.js';
import { route } from '../errors.js';
import { progressStream } from '../stream.js';

const POLL_MS = 250;

export function listJobsRoute(context) {
	return route(context.logger, async (_req, res) => res.json(listJobs()));
}

export function jobRoute(context) {
	return route(context.logger, async (req, res) => res.json(jobDetail(req.params.processId)));
}

export function cancelJobRoute(context) {
	return route(context.logger, async (req, res) => res.status(202).json(cancelJob(req.params.processId)));
}

export function jobEventsRoute(context) {
	return route(context.logger, async (req, res) => {
		const id = req.params.processId;
		let seq = -1;
		let { lines, done } = jobLines(id, seq); // refuses an unknown job before anything streams
		const stream = progressStream(req, res, context.logger, {
			heartbeat: () => {
				const job = jobDetail(id);
				return `Still working: ${job.phase} (${job.rows.read} of ${job.rows.total} row(s) read)`;
			},
		});
		let closed = false;
		res.on('close', () => (closed = true));
		for (;;) {
			for (const line of lines) {
				stream.event(line);
				seq = Math.max(seq, line.seq);
			}
			if (done || closed) break;
			await new Promise((resolve) => setTimeout(resolve, POLL_MS));
			({ lines, done } = jobLines(id, seq));
		}
		stream.finish(jobDetail(id).report ?? { message: `Job ${id} ended` });
	});
}
