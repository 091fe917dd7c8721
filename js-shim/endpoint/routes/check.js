// @ts-check
// POST /migration/check: is the destination usable? The core decides the HTTP status.
import { withCore } from '../core.js';
import { createHost } from '../host/index.js';
import { bodyText, route } from '../errors.js';

export function checkRoute(context) {
	return route(context.logger, async (req, res) => {
		const host = createHost(context, { accountability: req.accountability });
		const answer = await withCore(host, (core) => core.check(bodyText(req)));
		res.status(answer.httpStatus).json(answer.body);
	});
}
