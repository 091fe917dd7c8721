// @ts-check
// Traps of the WASM core that surface outside any call the shim made: a trap inside a
// wasm-bindgen-futures microtask is an uncaught `WebAssembly.RuntimeError`, and a callback that a
// dropped instance left behind (a timer, a promise reaction) throws a "previous Wasm instance"
// error when it fires. Those, and only those, are caught here. Anything else is left to the other
// `uncaughtException` listeners if there are any (Directus registers none), or ends the process
// as Node does without a listener: the error on stderr, exit code 1.
import { writeSync } from 'node:fs';

const STALE = /previous wasm instance/i;

/**
 * Whether `error` is a WebAssembly trap.
 * @returns {boolean}
 */
export function isTrap(error) {
	return error instanceof WebAssembly.RuntimeError;
}

/** Whether `error` is a trap or a stale callback whose stack has one of `marks` (frames of this module). */
export function isOurs(error, marks) {
	if (!(error instanceof Error) || !(isTrap(error) || STALE.test(error.message))) return false;
	const stack = String(error.stack ?? '');
	return marks.some((mark) => stack.includes(mark));
}

/**
 * Listen once for the core's uncaught traps (`onTrap(error)`) and stale callbacks
 * (`onStale(error)`); `marks` are strings only this module's stack frames contain.
 */
export function watchTraps(marks, { onTrap, onStale }) {
	process.on('uncaughtException', (error) => {
		if (isOurs(error, marks)) return isTrap(error) ? onTrap(error) : onStale(error);
		if (process.listenerCount('uncaughtException') > 1) return;
		writeSync(2, `${error instanceof Error ? error.stack : `Uncaught ${String(error)}`}\n`);
		process.exit(1);
	});
}
