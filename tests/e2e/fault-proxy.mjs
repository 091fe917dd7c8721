// A fault-injecting HTTP reverse proxy for the tests: it sits on 127.0.0.1 in front of a
// destination instance and, per the rules a test gives it, answers some requests itself (503, 429
// with Retry-After, 500…), drops connections before or after forwarding (a lost answer: the
// destination did the work, the client never hears of it), or slows answers down. Everything else
// passes through, streamed both ways, so file uploads of any size go through it.
//
// Bounded: at most `maxConnections` client connections at once (more are dropped by the server);
// a request body is only ever held in memory up to `maxPeekBytes`, and only when a rule matches on
// the body (the bulk receiver's NDJSON header names the collection); the request log keeps the
// last `maxLog` entries.
//
// Headers are forwarded as they come, `Authorization` included, and never logged: the log and the
// counters hold methods, paths (with any `access_token` query parameter redacted) and outcomes.
import { Agent, createServer, request as httpRequest } from 'node:http';

/** What a rule does with a request it fires on. */
export const pass = () => ({ type: 'pass' });
/** Answer `code` without forwarding, with Directus' error envelope (and `Retry-After`, seconds). */
export const status = (code, { retryAfter, message } = {}) => ({ type: 'status', code, retryAfter, message });
/** Forward, let the destination finish, then hold its answer for `ms` before sending it on. */
export const delay = (ms) => ({ type: 'delay', ms });
/** Destroy the client's connection without forwarding anything. */
export const dropBeforeForward = () => ({ type: 'dropBeforeForward' });
/** Forward, wait until the destination has answered in full (it committed), then destroy the
 * client's connection without answering: a lost answer. */
export const dropAfterForward = () => ({ type: 'dropAfterForward' });

const ACTIONS = new Set(['pass', 'status', 'delay', 'dropBeforeForward', 'dropAfterForward']);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);
const CODES = { 400: 'INVALID_PAYLOAD', 429: 'REQUESTS_EXCEEDED', 500: 'INTERNAL_SERVER_ERROR', 502: 'BAD_GATEWAY', 503: 'SERVICE_UNAVAILABLE', 504: 'GATEWAY_TIMEOUT' };

/** A small deterministic PRNG (mulberry32), so probabilistic rules repeat from run to run. */
function random(seed) {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** The path for logs: `access_token` (should a client ever put it in a URL) redacted. */
function safePath(url) {
	return url.replace(/([?&]access_token=)[^&]*/gi, '$1[redacted]');
}

function methodMatcher(method) {
	if (method === undefined || method === '*') return () => true;
	if (method instanceof RegExp) return (m) => method.test(m);
	const wanted = new Set([method].flat().map((m) => m.toUpperCase()));
	return (m) => wanted.has(m);
}

/**
 * A rule: which requests it concerns, when among them it fires, and what it does.
 * - `method`: a method, a list of them, a RegExp, or `*` (default);
 * - `path`: a RegExp tested on the path without its query string (default: every path);
 * - `body`: a RegExp tested on the first `maxPeekBytes` of the body (the rule then peeks);
 * - `after`: let this many matching requests through first (default 0);
 * - `every`: then fire on every n-th matching request (default 1: each one);
 * - `probability`: and then only with this probability (seeded PRNG; default 1);
 * - `times`: fire at most this many times (default unlimited);
 * - `forMs`: once it first fired, keep firing for this long, then never again (a burst);
 * - `before(request)`: awaited when it fires, before the action (e.g. kill the destination);
 * - `action`: one of the actions above (default `pass()`).
 */
function makeRule(spec, index, rng) {
	const action = spec.action ?? pass();
	if (!ACTIONS.has(action.type)) throw new Error(`unknown fault action ${JSON.stringify(action)}`);
	const rule = {
		name: spec.name ?? `rule ${index + 1}`,
		action,
		matchesMethod: methodMatcher(spec.method),
		path: spec.path ?? null,
		body: spec.body ?? null,
		after: spec.after ?? 0,
		every: Math.max(1, spec.every ?? 1),
		probability: spec.probability ?? 1,
		times: spec.times ?? Infinity,
		forMs: spec.forMs ?? null,
		before: spec.before ?? null,
		matched: 0,
		fired: 0,
		firstFiredAt: null,
		lastFiredAt: null,
		/** Whether this rule fires on a request that matches it (counts the match). */
		decide(now) {
			this.matched += 1;
			const nth = this.matched - this.after;
			if (nth <= 0 || nth % this.every !== 0) return false;
			if (this.fired >= this.times) return false;
			if (this.forMs !== null && this.firstFiredAt !== null && now - this.firstFiredAt >= this.forMs) return false;
			if (this.probability < 1 && rng() >= this.probability) return false;
			this.fired += 1;
			this.firstFiredAt ??= now;
			this.lastFiredAt = now;
			return true;
		},
		describe() {
			const what = action.type === 'status' ? `status ${action.code}${action.retryAfter !== undefined ? ` (Retry-After: ${action.retryAfter})` : ''}`
				: action.type === 'delay' ? `delay ${action.ms} ms` : action.type;
			return `${this.name}: ${what} × ${this.fired} (of ${this.matched} matching)`;
		},
	};
	return rule;
}

/**
 * Start a proxy in front of `target` (an `http://127.0.0.1:port` URL).
 * @param {string} target
 * @param {object} [options]
 * @param {number} [options.maxConnections=64] client connections at once
 * @param {number} [options.maxPeekBytes=65536] the most of a body held to match `body` rules
 * @param {number} [options.maxLog=20000] request log entries kept (the oldest go first)
 * @param {number} [options.seed=1] seed of the PRNG behind `probability`
 * @param {(line: string) => void} [options.log] told of every fault injected (never of headers)
 */
export async function startFaultProxy(target, { maxConnections = 64, maxPeekBytes = 64 * 1024, maxLog = 20_000, seed = 1, log = null } = {}) {
	const upstream = new URL(target);
	if (upstream.protocol !== 'http:') throw new Error('the fault proxy forwards to http:// targets only');
	const agent = new Agent({ keepAlive: true, maxSockets: maxConnections });
	const rng = random(seed);
	let rules = [];
	const counters = emptyCounters();
	const entries = [];
	const pendingBefore = new Set();

	function emptyCounters() {
		return { requests: 0, forwarded: 0, answeredByProxy: 0, dropped: 0, upstreamErrors: 0, connectionsRefused: 0, byAction: {}, byRoute: {} };
	}

	function record(entry) {
		entries.push(entry);
		if (entries.length > maxLog) entries.splice(0, entries.length - maxLog);
		counters.byAction[entry.action] = (counters.byAction[entry.action] ?? 0) + 1;
		const route = `${entry.method} ${entry.path.split('?')[0]}`;
		if (route in counters.byRoute || Object.keys(counters.byRoute).length < 1000) counters.byRoute[route] = (counters.byRoute[route] ?? 0) + 1;
	}

	/** Read up to `maxPeekBytes` of the body without losing it: the chunks are replayed later. */
	function peek(req) {
		return new Promise((resolve, reject) => {
			const chunks = [];
			let size = 0;
			const done = (ended) => {
				req.off('data', onData);
				req.off('end', onEnd);
				req.off('error', reject);
				if (!ended) req.pause();
				resolve({ chunks, ended, text: Buffer.concat(chunks).toString('utf8') });
			};
			const onData = (chunk) => {
				chunks.push(chunk);
				size += chunk.length;
				if (size >= maxPeekBytes) done(false);
			};
			const onEnd = () => done(true);
			req.on('data', onData);
			req.on('end', onEnd);
			req.on('error', reject);
		});
	}

	/** The body, whatever was peeked first, into `out`. */
	function sendBody(req, peeked, out) {
		if (!peeked) return req.pipe(out);
		for (const chunk of peeked.chunks) out.write(chunk);
		if (peeked.ended) out.end();
		else req.pipe(out);
	}

	function drain(req, peeked) {
		if (peeked?.ended || req.readableEnded) return Promise.resolve();
		return new Promise((resolve) => {
			req.on('end', resolve);
			req.on('error', resolve);
			req.on('close', resolve);
			req.resume();
		});
	}

	function answer(res, code, { retryAfter, message } = {}) {
		const body = JSON.stringify({ errors: [{ message: message ?? `Injected by the fault proxy: HTTP ${code}`, extensions: { code: CODES[code] ?? 'INJECTED_FAULT' } }] });
		const headers = { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'X-Fault-Proxy': 'answered' };
		if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
		res.writeHead(code, headers);
		res.end(body);
	}

	/**
	 * Forward the request; `onResponse(upstreamResponse)` decides what the client gets. Resolves
	 * when the exchange is over. A destination that cannot be reached gets the client a 502, as
	 * from any reverse proxy.
	 */
	function forward(req, res, peeked, onResponse) {
		return new Promise((resolve) => {
			const headers = {};
			for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
			const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent });
			counters.forwarded += 1;
			let settled = false;
			const finish = (outcome) => {
				if (!settled) {
					settled = true;
					resolve(outcome);
				}
			};
			out.on('response', (up) => {
				up.on('error', () => {
					res.destroy();
					finish('upstream error');
				});
				Promise.resolve(onResponse(up)).then(() => finish(up.statusCode), () => finish('failed'));
			});
			out.on('error', (error) => {
				counters.upstreamErrors += 1;
				if (!res.headersSent && !res.destroyed) answer(res, 502, { message: `Bad gateway: the destination did not answer (${error.code ?? error.message})` });
				else res.destroy();
				finish(502);
			});
			// The client went away: so does the forwarded request.
			res.on('close', () => {
				if (!res.writableFinished) out.destroy();
			});
			sendBody(req, peeked, out);
		});
	}

	/** Pass the destination's answer on, streamed. */
	function relay(res, up) {
		return new Promise((resolve) => {
			const headers = { ...up.headers };
			for (const name of HOP_BY_HOP) delete headers[name];
			res.writeHead(up.statusCode, headers);
			up.pipe(res);
			res.on('close', resolve);
			up.on('end', resolve);
		});
	}

	async function handle(req, res) {
		counters.requests += 1;
		const started = Date.now();
		const method = req.method;
		const path = safePath(req.url);
		const pathname = req.url.split('?')[0];
		let peeked = null;
		let chosen = null;
		try {
			for (const rule of rules) {
				if (!rule.matchesMethod(method) || (rule.path && !rule.path.test(pathname))) continue;
				if (rule.body) {
					peeked ??= await peek(req);
					if (!rule.body.test(peeked.text)) continue;
				}
				if (rule.decide(Date.now())) {
					chosen = rule;
					break;
				}
			}
			if (chosen?.before) {
				const hook = Promise.resolve(chosen.before({ method, path }));
				pendingBefore.add(hook);
				try {
					await hook;
				} finally {
					pendingBefore.delete(hook);
				}
			}
		} catch (error) {
			log?.(`fault-proxy: ${method} ${path}: ${error.message}`);
			if (!res.headersSent) answer(res, 500, { message: `fault proxy: ${error.message}` });
			return;
		}
		const action = chosen?.action ?? pass();
		if (chosen) log?.(`fault-proxy: ${method} ${path} → ${chosen.describe()}`);
		let outcome;
		switch (action.type) {
			case 'status':
				await drain(req, peeked);
				counters.answeredByProxy += 1;
				answer(res, action.code, action);
				outcome = action.code;
				break;
			case 'dropBeforeForward':
				counters.dropped += 1;
				req.socket.destroy();
				outcome = 'dropped';
				break;
			case 'dropAfterForward':
				outcome = await forward(req, res, peeked, (up) => new Promise((resolve) => {
					up.resume();
					up.on('end', () => {
						counters.dropped += 1;
						req.socket.destroy();
						resolve();
					});
				}));
				outcome = `${outcome}, answer dropped`;
				break;
			case 'delay':
				outcome = await forward(req, res, peeked, (up) => new Promise((resolve) => setTimeout(resolve, action.ms)).then(() => relay(res, up)));
				break;
			default:
				outcome = await forward(req, res, peeked, (up) => relay(res, up));
		}
		record({ at: started, ms: Date.now() - started, method, path, rule: chosen?.name ?? null, action: chosen ? action.type : 'pass', outcome });
	}

	const server = createServer((req, res) => {
		handle(req, res).catch((error) => {
			log?.(`fault-proxy: ${req.method} ${safePath(req.url)}: ${error.message}`);
			res.destroy();
		});
	});
	server.maxConnections = maxConnections;
	server.on('drop', () => (counters.connectionsRefused += 1));
	server.on('clientError', (_error, socket) => socket.destroy());
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});
	const { port } = server.address();

	const proxy = {
		url: `http://127.0.0.1:${port}`,
		port,
		target: upstream.origin,
		counters,
		/** The request log, oldest first: `{ at, ms, method, path, rule, action, outcome }`. */
		get entries() {
			return entries;
		},
		/** Add a rule (see makeRule); rules are tried in the order they were added. */
		rule(spec) {
			const made = makeRule(spec, rules.length, rng);
			rules.push(made);
			return made;
		},
		get rules() {
			return rules;
		},
		/** Remove every rule and zero the counters and the log. */
		reset() {
			rules = [];
			Object.assign(counters, emptyCounters());
			entries.length = 0;
		},
		/** Requests in the log with `method` (string, list or RegExp) whose path matches `path`. */
		count({ method, path } = {}) {
			const matches = methodMatcher(method);
			return entries.filter((e) => matches(e.method) && (!path || path.test(e.path.split('?')[0]))).length;
		},
		/** One line: what the proxy did. */
		summary() {
			const fired = rules.filter((r) => r.fired > 0).map((r) => r.describe());
			const upstreamDown = counters.upstreamErrors ? `; ${counters.upstreamErrors} upstream error(s) answered 502` : '';
			return `${counters.requests} request(s), ${counters.forwarded} forwarded${upstreamDown}${fired.length ? `; ${fired.join('; ')}` : '; no fault fired'}`;
		},
		async close() {
			await Promise.allSettled([...pendingBefore]);
			await new Promise((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			});
			agent.destroy();
		},
	};
	return proxy;
}
