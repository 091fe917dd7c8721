// @ts-check
// One readable sentence for whatever went wrong in a call to the endpoint.

/**
 * @param {object} answer  an axios error (with its `response`), `{ status, data }` of an HTTP
 *                         answer, or any thrown error (whose message is already readable)
 */
export function errorMessage(answer) {
	if (answer?.name === 'AbortError') return 'The request was cancelled.';
	const response = answer?.response ?? (answer instanceof Error ? null : answer);
	if (response) {
		const { status, data } = response;
		// The endpoint's own errors: { status: "danger", icon, code, message }.
		if (data && typeof data === 'object' && typeof data.message === 'string' && data.message) return data.message;
		// Directus' errors (the admin guard's 403, an unknown route): { errors: [{ message }] }.
		const directus = data?.errors?.[0]?.message;
		if (directus) return directus;
		if (typeof data === 'string' && data.trim() && !data.trimStart().startsWith('<')) return data.trim().slice(0, 500);
		if (typeof status === 'number' && status > 0) return `The server answered HTTP ${status}.`;
	}
	if (answer instanceof TypeError) return `The server could not be reached (${answer.message}).`;
	return answer?.message || 'Something went wrong, and the server gave no reason.';
}

/** The HTTP status of an axios error, or undefined. */
export function statusOf(error) {
	return error?.response?.status ?? error?.status;
}
