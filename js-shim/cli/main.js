// @ts-check
// `directus-table-migration`: the extension's routes as commands, run by the same WASM core in
// plain Node, for a source where the extension cannot be installed and for CI pipelines. The
// source is read through its REST API (source.js), the destination is written as the extension
// writes it. Built into dist/cli.js (scripts/build.sh), the .wasm beside it.
import { readFileSync } from 'node:fs';
import { initSync, installPanicHook, Core } from '../../target/pkg/table_migration.js';
import { parseCommandLine, USAGE, withFlags } from './args.js';
import { cliHost } from './host.js';
import { createOutput, EXIT } from './output.js';
import { checkSource, sourceClient } from './source.js';

/** The core's calls, by command (each takes the endpoint's JSON body); each resolves to the answer's body. */
const CALLS = {
	check: (core, body) => core.check(body).then(checked),
	tables: (core, body) => core.tables(body),
	'schema-sync': (core, body) => core.schemaSync(body),
	'dry-run': (core, body) => core.dryRun(body),
	run: (core, body) => core.run(body),
	verify: (core, body) => core.verify(body),
};

/** A check's answer: its verdict, or (a refusal, 4xx/5xx) an error of its code. */
function checked({ httpStatus, body }) {
	if (httpStatus < 300) return body;
	throw Object.assign(new Error(body.message), { code: body.code ?? 'CHECK_FAILED', status: httpStatus });
}

function loadCore() {
	initSync({ module: readFileSync(new URL('./table_migration_bg.wasm', import.meta.url)) });
	installPanicHook({ error: (line) => process.stderr.write(`${line}\n`) });
}

/** Run the command line `argv`; resolves to the exit code. */
export async function main(argv = process.argv.slice(2), env = process.env) {
	/** @type {import('./output.js').Mode} */
	const guessed = argv.includes('--json') ? 'json' : argv.includes('--ndjson') ? 'ndjson' : process.stdout.isTTY ? 'tty' : 'lines';
	let cli;
	try {
		cli = parseCommandLine(argv, env);
	} catch (error) {
		return createOutput({ mode: guessed === 'tty' ? 'lines' : guessed }).fail(error);
	}
	if (cli.command === 'help') {
		process.stdout.write(USAGE);
		return EXIT.done;
	}
	if (cli.command === 'version') {
		loadCore();
		process.stdout.write(`${Core.version()}\n`);
		return EXIT.done;
	}
	const output = createOutput({ mode: cli.output ?? (process.stdout.isTTY ? 'tty' : 'lines') });
	try {
		// The first contact is not tried again: a wrong address or token is said at once. The run's
		// reads are (a source restarting, a rate limit).
		await checkSource(sourceClient(cli.from, { tries: 1 }));
		const source = sourceClient(cli.from);
		loadCore();
		const { host, cancelRunning } = cliHost({ source, artifacts: cli.artifacts, emit: output.emit });
		// Ctrl-C: the run stops after the batches in flight and reports what it did; a second one
		// ends the process.
		let interrupted = false;
		process.on('SIGINT', () => {
			if (interrupted || cancelRunning() === 0) process.exit(130);
			interrupted = true;
			process.stderr.write('\nStopping after the batches in flight (Ctrl-C again to quit now)…\n');
		});
		const core = new Core(host, host.settings);
		try {
			return output.done(cli.command, await CALLS[cli.command](core, JSON.stringify(cli.body)));
		} finally {
			core.free();
		}
	} catch (error) {
		return output.fail(Object.assign(error instanceof Error ? error : new Error(String(error)), { message: withFlags(error?.message ?? error) }));
	}
}

// A reader that went away (`| head`) ends the output, not the run with a stack trace.
process.stdout.on('error', (/** @type {NodeJS.ErrnoException} */ error) => {
	if (error?.code !== 'EPIPE') throw error;
});

main().then((code) => {
	process.exitCode = code;
	// The core's timers (a job's lease) end with its run; should one linger, it does not hold the exit.
	setTimeout(() => process.exit(code), 2_000).unref();
});
