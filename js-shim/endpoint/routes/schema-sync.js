// POST /migration/schema-sync: streams the sync's progress, ending with its summary line.
import { withCore } from '../core.js';
import { createHost } from '../host/index.js';
import { bodyText, route } from '../errors.js';
import { progressStream } from '../stream.js';

export function schemaSyncRoute(context) {
	return route(context.logger, async (req, res) => {
		const stream = progressStream(req, res, context.logger);
		const host = createHost(context, { accountability: req.accountability, onEvent: stream.event });
		try {
			stream.finish(await withCore(host, (core) => core.schemaSync(bodyText(req))));
		} catch (error) {
			stream.fail(error);
		}
	});
}
