// @ts-check
// How the Past runs panel words and colours a job summary of GET /migration/jobs: pure functions,
// checked in plain Node (tests/node/page-history.test.mjs).

/** A job's status as a Directus-style label: its words and the theme colour it takes. */
const STATUSES = {
	running: { text: 'Running', colour: 'primary' },
	completed: { text: 'Completed', colour: 'success' },
	'completed with errors': { text: 'Completed with errors', colour: 'warning' },
	cancelled: { text: 'Cancelled', colour: 'warning' },
	failed: { text: 'Failed', colour: 'danger' },
};

/** `{ text, colour }` for a status; an unknown one shows as it is, in the neutral colour. */
export function statusLabel(status) {
	const known = STATUSES[status];
	if (known) return known;
	const text = typeof status === 'string' && status ? status[0].toUpperCase() + status.slice(1) : 'Unknown';
	return { text, colour: 'neutral' };
}

/** What ran: `Migration` or `Dry run`. */
export function kindLabel(kind) {
	return kind === 'dry-run' ? 'Dry run' : 'Migration';
}

/**
 * The tables of a run for one line: the first `shown` names, then `+N more`; `all` is every
 * name (for the hover text).
 */
export function shortTables(tables, shown = 3) {
	const list = Array.isArray(tables) ? tables.filter((t) => typeof t === 'string') : [];
	const all = list.join(', ');
	if (list.length <= shown + 1) return { text: all, all, more: 0 };
	const more = list.length - shown;
	return { text: `${list.slice(0, shown).join(', ')} +${more} more`, all, more };
}

/** @type {[Intl.RelativeTimeFormatUnit, number][]} */
const UNITS = [
	['year', 365 * 24 * 3600],
	['month', 30 * 24 * 3600],
	['week', 7 * 24 * 3600],
	['day', 24 * 3600],
	['hour', 3600],
	['minute', 60],
];

/** `instant` (ISO text) relative to `now` (ms): `just now`, `5 minutes ago`, `yesterday`, … */
export function relativeTime(instant, now = Date.now(), locale = undefined) {
	const at = Date.parse(instant);
	if (!Number.isFinite(at)) return '–';
	const seconds = (at - now) / 1000;
	if (Math.abs(seconds) < 45) return 'just now';
	const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
	for (const [unit, size] of UNITS) {
		if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
	}
	return format.format(Math.round(seconds / 60) || (seconds < 0 ? -1 : 1), 'minute');
}

/** `instant` (ISO text) as a full local date and time, for the hover text. */
export function absoluteTime(instant, locale = undefined) {
	const at = Date.parse(instant);
	if (!Number.isFinite(at)) return '';
	return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(at));
}

/** A user of GET /users/:id as the panel names them: their name, else their e-mail, else `id`. */
export function userLabel(user, id) {
	const name = [user?.first_name, user?.last_name].filter((part) => typeof part === 'string' && part.trim()).join(' ').trim();
	if (name && user?.email) return { text: name, title: user.email };
	if (name || user?.email) return { text: name || user.email, title: id };
	return { text: id, title: id };
}
