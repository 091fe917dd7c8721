// The one place where errors become HTTP answers. Errors from the WASM core (`MigrationError`,
// with `code` and `status`) answer `{ status: "danger", icon: "error", code, message }`, the
// shape the admin page and Flows read; anything else is an internal error, logged.

export function errorAnswer(error) {
	if (error?.name === 'MigrationError' && typeof error.status === 'number') {
		return { httpStatus: error.status, body: { status: 'danger', icon: 'error', code: error.code, message: error.message } };
	}
	return {
		httpStatus: 500,
		body: { status: 'danger', icon: 'error', code: 'INTERNAL', message: `Internal error: ${error?.message ?? String(error)}` },
	};
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
				if (httpStatus >= 500) logger.error(error, `[table-migration] ${req.method} ${req.originalUrl}`);
				if (res.headersSent) res.end();
				else res.status(httpStatus).json(body);
			});
	};
}
