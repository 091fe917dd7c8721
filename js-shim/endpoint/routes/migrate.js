// POST /migration/run and /migration/dry-run: stream the migration's progress, ending with the
// report's closing line (its `status`: completed, completed with errors, failed).
import { withCore } from '../core.js';
import { createHost } from '../host/index.js';
import { bodyText, route } from '../errors.js';
import { progressStream } from '../stream.js';

export function migrateRoute(context, { dryRun }) {
	return route(context.logger, async (req, res) => {
		const stream = progressStream(req, res, context.logger);
		const host = createHost(context, { accountability: req.accountability, onEvent: stream.event });
		const body = bodyText(req);
		try {
			stream.finish(await withCore(host, (core) => (dryRun ? core.dryRun(body) : core.run(body))));
		} catch (error) {
			stream.fail(error);
		}
	});
}
