// @ts-check
// POST /migration/check: is the destination usable? The core decides the HTTP status.
import { withCore } from '../core.js';
import { createHost } from '../host/index.js';
import { bodyText, errorBody, route } from '../errors.js';

export function checkRoute(context) {
	return route(context.logger, async (req, res) => {
		const host = createHost(context, { accountability: req.accountability });
		const answer = await withCore(host, (core) => core.check(bodyText(req)));
		// A refusal (the core's answer for a bad request or an unusable destination) in the one error shape.
		if (answer.httpStatus < 400) return res.status(answer.httpStatus).json(answer.body);
		const { code, message, status, icon, ...carried } = answer.body;
		res.status(answer.httpStatus).json(errorBody(code ?? 'INTERNAL', message, carried));
	});
}
