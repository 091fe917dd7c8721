// @ts-check
// Numbers and durations as the page shows them.

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

export function count(n) {
	return typeof n === 'number' && Number.isFinite(n) ? integer.format(n) : '–';
}

/** Seconds as `42 s`, `3 min 05 s` or `1 h 02 min`. */
export function duration(seconds) {
	if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '–';
	const s = Math.round(seconds);
	if (s < 60) return `${s} s`;
	const m = Math.floor(s / 60);
	if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
	return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** The origin of a URL for display, or the text itself when it is not one. */
export function origin(url) {
	try {
		return new URL(url).origin;
	} catch {
		return url ?? '';
	}
}
