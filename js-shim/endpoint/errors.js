// @ts-check
// The one place where errors become HTTP answers. Every error is a Directus error, made with
// `createError` (@directus/errors) — those the core throws (`MigrationError`, with its `code` and
// `status`), those the shim decides, Directus' own (the admin guard's 403, an unknown route's
// 404) — and every answer has Directus' own shape, `{ errors: [{ message, extensions: { code } }] }`,
// with beside it the fields the admin page, Flows and the earlier extension's callers read:
// `{ status: "danger", icon: "error", code, message }` (and `differences`, `processId`). Every 5xx
// is logged with the request's route.
import { createError, isDirectusError } from '@directus/errors';

/** Directus' error class for each code and HTTP status, made once. */
const classes = new Map();

/**
 * A Directus error: `code`, `message`, HTTP `status`, and `extensions` (what the answer carries
 * besides: `differences`, `processId`).
 * @param {string} code
 * @param {string} message
 * @param {number} status
 * @param {Record<string, unknown>} [extensions]
 */
export function migrationError(code, message, status, extensions = {}) {
	const key = `${code} ${status}`;
	if (!classes.has(key)) classes.set(key, createError(code, (/** @type {any} */ ext) => ext.message, status));
	const Class = /** @type {any} */ (classes.get(key));
	const error = new Class({ ...extensions, message });
	delete error.extensions.message;
	return error;
}

/** A 400 the shim itself decides. */
export function invalidPayload(message) {
	return migrationError('INVALID_PAYLOAD', message, 400);
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

/**
 * Any thrown value as a Directus error: the core's errors keep their code and status (and what
 * they carry besides); anything else is an internal error.
 * @returns {{ code: string, status: number, message: string, extensions?: Record<string, any> }}
 */
function asDirectusError(error) {
	if (isDirectusError(error)) return /** @type {any} */ (error);
	if (error?.name === 'MigrationError' && typeof error.status === 'number') {
		/** @type {Record<string, unknown>} */
		const extensions = {};
		if (Array.isArray(error.differences)) extensions.differences = error.differences;
		if (typeof error.processId === 'string') extensions.processId = error.processId;
		return migrationError(error.code, error.message, error.status, extensions);
	}
	return migrationError('INTERNAL', `Internal error: ${error?.message ?? String(error)}`, 500);
}

/**
 * The one error body: `{ status: "danger", icon: "error", code, message, …carried }` with
 * Directus' `errors` list beside it, whose extensions hold the code and the error's `extensions`.
 * @param {string} code
 * @param {string} message
 * @param {Record<string, unknown>} [carried]  fields the contract names beside the message
 * @param {Record<string, unknown>} [extensions]
 */
export function errorBody(code, message, carried = {}, extensions = carried) {
	return { status: 'danger', icon: 'error', code, message, ...carried, errors: [{ message, extensions: { ...extensions, code } }] };
}

/** `{ httpStatus, body }` for any thrown value. */
export function errorAnswer(error) {
	const { code, status, message, extensions = {} } = asDirectusError(error);
	/** @type {Record<string, unknown>} */
	const carried = {};
	if (Array.isArray(extensions.differences)) carried.differences = extensions.differences;
	if (typeof extensions.processId === 'string') carried.processId = extensions.processId;
	return { httpStatus: status, body: errorBody(code, message, carried, extensions) };
}

/** Log a 5xx answer with the route it came from. */
export function logServerError(logger, req, httpStatus, error) {
	if (httpStatus >= 500) logger.error(error, `[table-migration] ${req.method} ${req.originalUrl?.split('?')[0]} answered ${httpStatus}`);
}

/** Answer `error` (nothing more once the answer has begun). */
function answer(logger, req, res, error) {
	const { httpStatus, body } = errorAnswer(error);
	logServerError(logger, req, httpStatus, error);
	if (res.headersSent) res.end();
	else res.status(httpStatus).json(body);
}

/**
 * Wrap a route handler: rejected promises become error answers (Express 4 would otherwise lose
 * them). `handler(req, res)` may answer itself or return nothing.
 */
export function route(logger, handler) {
	return (req, res) => {
		Promise.resolve()
			.then(() => handler(req, res))
			.catch((error) => answer(logger, req, res, error));
	};
}

/** The router's last handler: errors passed on with `next` (the admin guard's, an unknown
 * route's) answered like every other. */
export function errorHandler(logger) {
	return (error, req, res, _next) => answer(logger, req, res, error);
}
