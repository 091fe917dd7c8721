// @ts-check
// The bulk receiver, on the destination's copy of the extension (admin only, like every route
// but /test): its identity, key lookups, batches of rows written straight into its tables, and
// rows read by key for the verification.
import { receiverLimits, withCore } from '../core.js';
import { createHost } from '../host/index.js';
import { bodyText, migrationError, route } from '../errors.js';

export function receiveInfoRoute(context) {
	return route(context.logger, async (req, res) => {
		const host = createHost(context, { accountability: req.accountability, schema: req.schema });
		res.json(await withCore(host, (core) => core.receiverInfo()));
	});
}

export function receiveExistingRoute(context) {
	return route(context.logger, async (req, res) => {
		const host = createHost(context, { accountability: req.accountability, schema: req.schema });
		res.json(await withCore(host, (core) => core.receiveExisting(bodyText(req))));
	});
}

export function receiveRowsByKeyRoute(context) {
	return route(context.logger, async (req, res) => {
		const host = createHost(context, { accountability: req.accountability, schema: req.schema });
		res.json(await withCore(host, (core) => core.receiveRowsByKey(bodyText(req))));
	});
}

export function receiveLackingRoute(context) {
	return route(context.logger, async (req, res) => {
		const host = createHost(context, { accountability: req.accountability, schema: req.schema });
		res.json(await withCore(host, (core) => core.receiveLacking(bodyText(req))));
	});
}

/** Batches being written by this instance right now, bodies read (the receiver bounds them). */
let inFlight = 0;

/**
 * Read the body up to `max` bytes. Past it, the rest is read and dropped (so the caller gets the
 * answer rather than a reset connection) and `null` comes back.
 */
async function readBounded(req, max) {
	const chunks = [];
	let size = 0;
	for await (const chunk of req) {
		size += chunk.length;
		if (size <= max) chunks.push(chunk);
	}
	return size > max ? null : Buffer.concat(chunks, size);
}

export function receiveRowsRoute(context) {
	return route(context.logger, async (req, res) => {
		const { maxBatchBytes, maxConcurrentBatches } = receiverLimits();
		const tooLarge = () => migrationError('BATCH_TOO_LARGE', `a batch is at most ${maxBatchBytes} bytes`, 413);
		if (!req.is('application/x-ndjson')) {
			req.resume();
			throw migrationError('UNSUPPORTED_MEDIA_TYPE', 'a batch is sent as application/x-ndjson', 415);
		}
		if (Number(req.get('content-length') ?? 0) > maxBatchBytes) {
			req.resume();
			throw tooLarge();
		}
		// The body first, then a write slot: a body still arriving (a slow sender) holds none, so
		// slow uploads cannot keep every other batch at 429. Each body is bounded on its own.
		let batch;
		try {
			batch = await readBounded(req, maxBatchBytes);
		} catch (error) {
			// The sender went away before its body ended: nothing to write, no one to answer.
			if (req.destroyed && !res.headersSent) return context.logger.debug(`migration receiver: a batch was cut off before its end (${error.message})`);
			throw error;
		}
		if (batch === null) throw tooLarge();
		if (inFlight >= maxConcurrentBatches) {
			res.set('Retry-After', '1');
			throw migrationError('TOO_MANY_BATCHES', `this receiver writes at most ${maxConcurrentBatches} batches at once; try again in a second`, 429);
		}
		inFlight += 1;
		try {
			const host = createHost(context, { accountability: req.accountability, schema: req.schema });
			res.json(await withCore(host, (core) => core.receive(batch)));
		} finally {
			inFlight -= 1;
		}
	});
}
