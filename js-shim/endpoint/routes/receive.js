// The bulk receiver, on the destination's copy of the extension (admin only, like every route
// but /test): its identity, key lookups, and batches of rows written straight into its tables.
import { withCore } from '../core.js';
import { createHost } from '../host.js';
import { route } from '../errors.js';

/** Batches larger than this are refused before they are read to the end (the wire's limit). */
const MAX_BATCH_BYTES = 32 * 1024 * 1024;

export function receiveInfoRoute(context) {
	return route(context.logger, async (req, res) => {
		const host = createHost(context, { accountability: req.accountability });
		res.json(await withCore(host, (core) => core.receiverInfo()));
	});
}

export function receiveExistingRoute(context) {
	return route(context.logger, async (req, res) => {
		const host = createHost(context, { accountability: req.accountability });
		res.json(await withCore(host, (core) => core.receiveExisting(JSON.stringify(req.body ?? {}))));
	});
}

export function receiveRowsRoute(context) {
	return route(context.logger, async (req, res) => {
		if (!req.is('application/x-ndjson')) {
			return res.status(415).json({ status: 'danger', icon: 'error', code: 'UNSUPPORTED_MEDIA_TYPE', message: 'a batch is sent as application/x-ndjson' });
		}
		const chunks = [];
		let size = 0;
		for await (const chunk of req) {
			size += chunk.length;
			if (size > MAX_BATCH_BYTES) {
				return res.status(413).json({ status: 'danger', icon: 'error', code: 'BATCH_TOO_LARGE', message: `a batch is at most ${MAX_BATCH_BYTES} bytes` });
			}
			chunks.push(chunk);
		}
		const host = createHost(context, { accountability: req.accountability });
		res.json(await withCore(host, (core) => core.receive(Buffer.concat(chunks).toString('utf8'))));
	});
}
