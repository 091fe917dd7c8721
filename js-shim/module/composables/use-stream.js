// @ts-check
// Streamed answers of the endpoint (NDJSON: one JSON object per line), read with fetch, because
// axios in the browser buffers the whole answer. fetch is authenticated the way the app's own
// axios instance is: the app keeps its session in an httpOnly cookie (the SDK's "session" mode)
// and refreshes it in a request interceptor before every call, so one cheap call through that
// instance first keeps the session fresh, then fetch sends the cookie (credentials "include") and
// any Authorization header the instance carries.
import { useApi } from '@directus/extensions-sdk';
import { errorMessage } from '../utils/errors.js';
import { readNdjson } from '../utils/ndjson.js';

export function useStream() {
	const api = useApi();

	function url(path) {
		const root = new URL(api.defaults.baseURL ?? '/', window.location.origin);
		return new URL(path.replace(/^\//, ''), root).toString();
	}

	/** @returns {Promise<Record<string, string>>} */
	async function authHeaders() {
		await api.get('/server/ping');
		const header = api.defaults.headers?.common?.Authorization ?? api.defaults.headers?.Authorization;
		return header ? { Authorization: String(header) } : {};
	}

	/**
	 * Request a streamed route. Resolves once the stream has ended; an answer that is not a
	 * stream (a refusal before the first line) rejects with its own message and `status`.
	 * @param {string} path
	 * @param {object} options
	 * @param {string} [options.method]
	 * @param {object} [options.body]       JSON body
	 * @param {AbortSignal} [options.signal]
	 * @param {(event: import('../utils/types.js').StreamLine) => void} options.onEvent
	 * @param {(response: Response) => void} [options.onResponse]  the response, before its lines
	 */
	async function stream(path, { method = 'POST', body, signal, onEvent, onResponse }) {
		const response = await fetch(url(path), {
			method,
			credentials: 'include',
			cache: 'no-store',
			signal,
			headers: {
				Accept: 'application/x-ndjson',
				...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
				...(await authHeaders()),
			},
			body: body !== undefined ? JSON.stringify(body) : undefined,
		});
		if (!response.ok || !response.body) {
			const text = await response.text().catch(() => '');
			let parsed = text;
			try {
				parsed = JSON.parse(text);
			} catch {
				// not JSON: the text itself
			}
			throw Object.assign(new Error(errorMessage({ status: response.status, data: parsed })), { status: response.status, data: parsed });
		}
		onResponse?.(response);
		await readNdjson(response.body, onEvent);
	}

	return { stream };
}
