// @ts-check
// POST /migration/tables: the source's user collections with exact counts.
import { withCore } from '../core.js';
import { createHost } from '../host/index.js';
import { bodyText, route } from '../errors.js';

export function tablesRoute(context) {
	return route(context.logger, async (req, res) => {
		const host = createHost(context, { accountability: req.accountability });
		res.json(await withCore(host, (core) => core.tables(bodyText(req))));
	});
}
