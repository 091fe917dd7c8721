// @ts-check
// POST /migration/verify: compare the selected tables on both sides. With
// `Accept: application/x-ndjson` its progress streams like a run's, ending with the summary line;
// otherwise it answers JSON once (HTTP 200 whether identical or not; refusals as usual errors).
import { withCore } from '../core.js';
import { createHost } from '../host/index.js';
import { bodyText, route } from '../errors.js';
import { progressStream } from '../stream.js';

export function verifyRoute(context) {
	return route(context.logger, async (req, res) => {
		const body = bodyText(req);
		if (!(req.get('accept') ?? '').includes('application/x-ndjson')) {
			const host = createHost(context, { accountability: req.accountability });
			return res.json(await withCore(host, (core) => core.verify(body)));
		}
		const stream = progressStream(req, res, context.logger);
		const host = createHost(context, { accountability: req.accountability, onEvent: stream.event });
		try {
			stream.finish(await withCore(host, (core) => core.verify(body)));
		} catch (error) {
			stream.fail(error);
		}
	});
}
