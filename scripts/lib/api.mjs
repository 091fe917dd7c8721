// A small REST client for tests, the demo and the benchmark: JSON in, `{ status, body }` out.

export function client(baseUrl, token) {
	async function request(method, path, body, headers = {}) {
		const res = await fetch(`${baseUrl}${path}`, {
			method,
			headers: {
				...(token ? { Authorization: `Bearer ${token}` } : {}),
				...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
				...headers,
			},
			body: body !== undefined ? JSON.stringify(body) : undefined,
		});
		const text = await res.text();
		let parsed = text;
		try {
			parsed = text ? JSON.parse(text) : null;
		} catch {
			// not JSON: keep the text
		}
		return { status: res.status, body: parsed, text, headers: res.headers };
	}

	/** Like `request`, but throws unless the status is 2xx and returns `body.data`. */
	async function data(method, path, body) {
		const res = await request(method, path, body);
		if (res.status < 200 || res.status >= 300) {
			throw new Error(`${method} ${path} answered ${res.status}: ${res.text.slice(0, 500)}`);
		}
		return res.body?.data;
	}

	return {
		request,
		get: (path) => data('GET', path),
		post: (path, body) => data('POST', path, body),
		patch: (path, body) => data('PATCH', path, body),
		delete: (path, body) => data('DELETE', path, body),
	};
}
