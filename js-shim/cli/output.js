// @ts-check
// What the command line prints, and its exit code. Four ways, one per audience:
// - `tty`:    a progress bar per collection (rows, rows/s, time left), the run's lines above them;
// - `lines`:  plain lines (stdout is a file or a pipe): the same lines, a collection's progress at
//             most every few seconds;
// - `json`:   nothing while it works, then one JSON document: the command's answer, or the error;
// - `ndjson`: the event stream as the endpoint streams it, one JSON object a line, the last one
//             `{ "type": "summary", … }` (the answer) or `{ "type": "error", … }`.
// Exit codes: 0 done, 1 done with failed rows (or a verification that differs), 2 bad input,
// 3 refused by a guard, 4 an instance unreachable or failing.
import cliProgress from 'cli-progress';

/** @typedef {import('../../target/pkg/table_migration.js').MigrationEvent} MigrationEvent */
/** @typedef {'tty' | 'lines' | 'json' | 'ndjson'} Mode */

export const EXIT = { done: 0, failedRows: 1, badInput: 2, refused: 3, unreachable: 4 };

/** How often plain lines repeat a collection's progress. */
const LINE_EVERY_MS = 5_000;

/**
 * The exit code of an error: by its code where it says more than its status, otherwise by its HTTP status.
 * @param {{ code?: unknown, status?: unknown }} error
 */
export function exitOf({ code, status }) {
	if (code === 'SOURCE_UNAUTHORIZED' || code === 'SOURCE_FORBIDDEN' || code === 'SOURCE_REDIRECTED') return EXIT.badInput;
	if (typeof code === 'string' && code.startsWith('SOURCE_')) return EXIT.unreachable;
	const http = Number(status);
	if (http === 409 || http === 422) return EXIT.refused;
	if (http >= 400 && http < 500) return EXIT.badInput;
	if (http >= 500) return EXIT.unreachable;
	return EXIT.failedRows;
}

/** The exit code of a command's answer. */
export function exitOfAnswer(command, answer) {
	if (command === 'run' || command === 'dry-run') {
		if (answer.status === 'completed') return answer.verification?.status === 'differs' ? EXIT.failedRows : EXIT.done;
		if (answer.status === 'completed with errors') return EXIT.failedRows;
		return exitOf({ status: answer.httpStatus });
	}
	if (command === 'verify') return answer.status === 'differs' || answer.status === 'missing' ? EXIT.failedRows : EXIT.done;
	return EXIT.done;
}

/** An error as its one JSON line: the endpoint's stream's closing error, with the exit code. */
export function errorLine(error, exitCode) {
	const line = { type: 'error', status: 'danger', icon: 'error', code: String(error?.code ?? 'CLI_ERROR'), message: String(error?.message ?? error), exitCode };
	if (Array.isArray(error?.differences)) line.differences = error.differences;
	if (error?.processId) line.processId = error.processId;
	return line;
}

/** The one line an answer closes with, for people. */
function closingLine(command, answer) {
	if (command === 'tables') return answer.map((t) => `${t.collection}\t${t.count} row(s)${t.singleton ? ' (singleton)' : ''}`).join('\n');
	if (command === 'check') return answer.message;
	if (command === 'verify') return `Verification: ${answer.status}${answer.message ? ` — ${answer.message}` : ''}`;
	const lines = [answer.message];
	// A file's id is its path in the --artifacts folder (`folder:<DIR>`).
	const folder = String(answer.artifacts?.storage ?? '').replace(/^folder:/, '');
	for (const file of answer.artifacts?.files ?? []) lines.push(`  artifact: ${folder}/${file.id}`);
	return lines.filter(Boolean).join('\n');
}

const seconds = (ms) => {
	if (!Number.isFinite(ms) || ms < 0) return '--';
	const s = Math.round(ms / 1000);
	return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

/** Rows done of a `rows` or `compared` event, its total, and the collection's start. */
function progressOf(event) {
	if (event.type === 'rows') return { collection: event.collection, done: event.read, total: event.total, failed: event.failed };
	if (event.type === 'compared') return { collection: event.collection, done: event.checked, total: event.total, failed: event.missing + event.different };
	return null;
}

/**
 * @param {{ mode: Mode, out?: NodeJS.WriteStream, err?: NodeJS.WriteStream }} options
 */
export function createOutput({ mode, out = process.stdout, err = process.stderr }) {
	/** @type {Map<string, { started: number, printed: number, bar?: any }>} */
	const tables = new Map();
	const bars = mode === 'tty'
		? new cliProgress.MultiBar(
				{
					format: ' {collection} |{bar}| {value}/{total} rows | {rate} rows/s | {left} left{failed}',
					barsize: 24,
					hideCursor: true,
					clearOnComplete: false,
					stopOnComplete: false,
					forceRedraw: true,
					stream: out,
				},
				cliProgress.Presets.shades_classic,
			)
		: null;
	const say = (text) => {
		if (mode === 'tty') bars?.log(`${text}\n`);
		else if (mode === 'lines') out.write(`${text}\n`);
	};

	function track(collection, done, total, failed) {
		let table = tables.get(collection);
		const now = Date.now();
		if (!table) tables.set(collection, (table = { started: now, printed: 0 }));
		const elapsed = now - table.started;
		const rate = elapsed > 0 ? Math.round((done * 1000) / elapsed) : 0;
		const left = rate > 0 && total > done ? seconds(((total - done) / rate) * 1000) : total <= done ? '0s' : '--';
		const payload = { collection: collection.padEnd(24).slice(0, 24), rate, left, failed: failed > 0 ? ` | ${failed} failed` : '' };
		if (bars) {
			if (!table.bar) table.bar = bars.create(Math.max(total, 1), done, payload);
			else table.bar.update(done, payload);
			table.bar.setTotal(Math.max(total, done, 1));
		} else if (mode === 'lines' && done < total && now - Math.max(table.printed, table.started) >= LINE_EVERY_MS) {
			// (A collection's last line is its "Done" line.)
			table.printed = now;
			out.write(`${collection}: ${done}/${total} rows, ${rate} rows/s, ${left} left${payload.failed}\n`);
		}
	}

	return {
		mode,
		/** A core event. @param {MigrationEvent} event */
		emit(event) {
			if (mode === 'json') return;
			// Lines meant for a server's log, the job's bookkeeping and the closing report (printed
			// by `done`) are not part of the stream.
			if (event.progress === false || event.type === 'summary' || event.type === 'started' || event.type === 'checkpoint') return;
			if (mode === 'ndjson') {
				out.write(`${JSON.stringify(event)}\n`);
				return;
			}
			const progress = progressOf(event);
			if (progress) return track(progress.collection, progress.done, progress.total, progress.failed);
			if (event.type === 'job') return;
			if (event.type === 'tableDone' || event.type === 'tableVerified') {
				const table = tables.get(event.report.collection ?? '');
				table?.bar?.stop?.();
			}
			if (event.message) say(event.message);
		},
		/** The command's answer: printed, and its exit code returned. */
		done(command, answer) {
			const code = exitOfAnswer(command, answer);
			bars?.stop();
			if (mode === 'json') out.write(`${JSON.stringify(answer, null, 2)}\n`);
			else if (mode === 'ndjson') out.write(`${JSON.stringify(Array.isArray(answer) ? { type: 'summary', tables: answer } : { type: 'summary', ...answer })}\n`);
			else out.write(`${closingLine(command, answer)}\n`);
			return code;
		},
		/** An error: printed, and its exit code returned. */
		fail(error) {
			const code = exitOf(error ?? {});
			bars?.stop();
			const line = errorLine(error, code);
			if (mode === 'json') out.write(`${JSON.stringify(line, null, 2)}\n`);
			else if (mode === 'ndjson') out.write(`${JSON.stringify(line)}\n`);
			else {
				err.write(`error ${line.code}: ${line.message}\n`);
				for (const difference of line.differences ?? []) err.write(`  - ${difference}\n`);
			}
			return code;
		},
	};
}
