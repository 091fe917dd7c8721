// @ts-check
// The one place where errors become HTTP answers: `{ status: "danger", icon: "error", code,
// message }`, the shape the admin page and Flows read. Errors from the WASM core
// (`MigrationError`) carry their `code` and `status`; anything else is an internal error. Every
// 5xx is logged with the request's route.

/** The JSON body of an error answer. */
export function errorBody(code, message) {
	return { status: 'danger', icon: 'error', code, message };
}

/** A 400 the shim itself decides, shaped like the core's errors. */
export function invalidPayload(message) {
	return Object.assign(new Error(message), { name: 'MigrationError', code: 'INVALID_PAYLOAD', status: 400 });
}

/** The JSON body Directus parsed, as text for the core: an object, or nothing. */
export function bodyText(req) {
	const body = req.body ?? {};
	if (typeof body !== 'object' || Array.isArray(body)) throw invalidPayload('the request body must be a JSON object');
	try {
		return JSON.stringify(body);
	} catch {
		throw invalidPayload('the request body is nested too deeply');
	}
}

/** `{ httpStatus, body }` for any thrown value. */
export function errorAnswer(error) {
	if (error?.name === 'MigrationError' && typeof error.status === 'number') {
		const body = errorBody(error.code, error.message);
		if (Array.isArray(error.differences)) body.differences = error.differences;
		if (typeof error.processId === 'string') body.processId = error.processId;
		return { httpStatus: error.status, body };
	}
	return { httpStatus: 500, body: errorBody('INTERNAL', `Internal error: ${error?.message ?? String(error)}`) };
}

/** Log a 5xx answer with the route it came from. */
export function logServerError(logger, req, httpStatus, error) {
	if (httpStatus >= 500) logger.error(error, `[table-migration] ${req.method} ${req.originalUrl?.split('?')[0]} answered ${httpStatus}`);
}

/**
 * Wrap a route handler: rejected promises become error answers (Express 4 would otherwise lose
 * them). `handler(req, res)` may answer itself or return nothing.
 */
export function route(logger, handler) {
	return (req, res) => {
		Promise.resolve()
			.then(() => handler(req, res))
			.catch((error) => {
				const { httpStatus, body } = errorAnswer(error);
				logServerError(logger, req, httpStatus, error);
				if (res.headersSent) res.end();
				else res.status(httpStatus).json(body);
			});
	};
}
