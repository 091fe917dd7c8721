// The bulk receiver, on the destination's copy of the extension (admin only, like every route
// but /test): its identity, key lookups, batches of rows written straight into its tables, and
// rows read by key for the verification.
import { receiverLimits, withCore } from '../core.js';
import { createHost } from '../host/index.js';
import { errorBody, route } from '../errors.js';

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

export function receiveRowsByKeyRoute(context) {
	return route(context.logger, async (req, res) => {
		const host = createHost(context, { accountability: req.accountability });
		res.json(await withCore(host, (core) => core.receiveRowsByKey(JSON.stringify(req.body ?? {}))));
	});
}

export function receiveRowsRoute(context) {
	return route(context.logger, async (req, res) => {
		if (!req.is('application/x-ndjson')) {
			return res.status(415).json(errorBody('UNSUPPORTED_MEDIA_TYPE', 'a batch is sent as application/x-ndjson'));
		}
		const { maxBatchBytes } = receiverLimits();
		const chunks = [];
		let size = 0;
		for await (const chunk of req) {
			size += chunk.length;
			if (size > maxBatchBytes) {
				return res.status(413).json(errorBody('BATCH_TOO_LARGE', `a batch is at most ${maxBatchBytes} bytes`));
			}
			chunks.push(chunk);
		}
		const host = createHost(context, { accountability: req.accountability });
		res.json(await withCore(host, (core) => core.receive(Buffer.concat(chunks).toString('utf8'))));
	});
}
