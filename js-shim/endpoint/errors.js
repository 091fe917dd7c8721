// The one place where errors from the WASM core become Directus errors, so Directus answers
// with its usual `{ errors: [{ message, extensions: { code } }] }` and the right status.
import { createError, isDirectusError } from '@directus/errors';

export function toDirectusError(error) {
	if (isDirectusError(error)) return error;
	if (error?.name === 'MigrationError' && typeof error.status === 'number') {
		const MigrationError = createError(error.code, error.message, error.status);
		return new MigrationError();
	}
	return error;
}

// Express 4 does not catch rejected promises: pass them on to Directus' error handler.
export function route(handler) {
	return (req, res, next) => {
		Promise.resolve()
			.then(() => handler(req, res))
			.catch((error) => next(toDirectusError(error)));
	};
}
