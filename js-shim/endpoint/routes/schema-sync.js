// @ts-check
// POST /migration/schema-sync: streams the sync's progress, ending with its summary line — or,
// with `Accept: application/json` (a Flow's "Request URL"), answers the summary once.
import { withCore } from '../core.js';
import { createHost } from '../host/index.js';
import { bodyText, route } from '../errors.js';
import { progressStream, wantsJson } from '../stream.js';

export function schemaSyncRoute(context) {
	return route(context.logger, async (req, res) => {
		const body = bodyText(req);
		if (wantsJson(req)) {
			const host = createHost(context, { accountability: req.accountability });
			return res.json(await withCore(host, (core) => core.schemaSync(body)));
		}
		const stream = progressStream(req, res, context.logger);
		const host = createHost(context, { accountability: req.accountability, onEvent: stream.event });
		try {
			stream.finish(await withCore(host, (core) => core.schemaSync(body)));
		} catch (error) {
			stream.fail(error);
		}
	});
}
