// @ts-check
// Access control for the endpoint: Directus has already authenticated the caller and put the
// result on `req.accountability`; only admins may migrate.
import { ForbiddenError, RouteNotFoundError } from '@directus/errors';

export function requireAdmin(req, _res, next) {
	if (req.accountability?.admin === true) return next();
	next(new ForbiddenError({ reason: 'Table migration is limited to administrators' }));
}

export function notFound(req, _res, next) {
	next(new RouteNotFoundError({ path: req.originalUrl.split('?')[0] }));
}
