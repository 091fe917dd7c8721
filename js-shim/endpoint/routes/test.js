// @ts-check
// GET /migration/test: open to everyone, answers through the WASM core to prove it loads.
import { withCore } from '../core.js';
import { createHost } from '../host/index.js';
import { route } from '../errors.js';

export function testRoute(context) {
	return route(context.logger, async (_req, res) => {
		res.json(await withCore(createHost(context), (core) => core.ping()));
	});
}
