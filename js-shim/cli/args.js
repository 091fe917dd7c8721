// @ts-check
// The command line's arguments → the command, the two instances with their tokens, the request
// body the endpoint would get (its `scope` from the flags: the core validates it, with the same
// messages and codes), and how to print. Tokens come only from the environment: a flag's value
// ends up in the shell's history and in `ps`.
import { parseArgs } from 'node:util';

export const COMMANDS = ['check', 'tables', 'schema-sync', 'dry-run', 'run', 'verify'];

/** A flag → its `scope` option, and how its value is read. */
const SCOPE = {
	tables: ['selectedTables', 'list'],
	exclude: ['excludedTables', 'list'],
	'updated-after': ['updatedAfter', 'text'],
	mode: ['mode', 'text'],
	'delete-missing': ['deleteMissing', 'flag'],
	'batch-size': ['batchSize', 'number'],
	concurrency: ['concurrency', 'number'],
	'file-concurrency': ['fileConcurrency', 'number'],
	transport: ['transport', 'text'],
	'max-requests-per-second': ['maxRequestsPerSecond', 'number'],
	verify: ['verify', 'flag'],
	'user-passwords': ['userPasswords', 'flag'],
	force: ['force', 'flag'],
	mirror: ['mirror', 'flag'],
	'alter-columns': ['alterColumns', 'flag'],
};

/** `scope.batchSize` → `--batch-size`, for the core's messages. */
const FLAG_OF = Object.fromEntries(Object.entries(SCOPE).map(([flag, [option]]) => [option, `--${flag}`]));
Object.assign(FLAG_OF, { excludedTables: '--exclude (or --all)', preserveCreated: '--no-preserve-created', artifacts: '--artifacts' });

export const USAGE = `Usage: directus-table-migration <command> --from URL [--to URL] [options]

Commands (as the extension's routes):
  check          can the source migrate to the destination? (versions, vendors, tokens, receiver)
  tables         the source's tables, with their row counts (needs --from only)
  schema-sync    create the source's schema on the destination  [--dry-run] [--mirror] [--alter-columns]
  dry-run        plan a run and count what it would write; writes nothing
  run            move the rows and the files they reference
  verify         compare rows and files on both sides; writes nothing

Instances and tokens (tokens are read from the environment, never from a flag's value):
  --from URL              the source Directus (read through its REST API: no extension needed there)
  --to URL                the destination Directus
  --from-token-env NAME   the variable holding an admin token of the source  (default DIRECTUS_FROM_TOKEN)
  --to-token-env NAME     the variable holding an admin token of the destination (default DIRECTUS_TO_TOKEN)

What moves (the endpoint's scope options):
  --tables a,b            only these collections (and the junctions between them)
  --exclude a,b | --all   everything but these (--all: everything), Directus' own data included
  --updated-after ISO     only rows changed at or after this instant
  --mode add|merge        merge: also update rows the destination has with other content
  --delete-missing        with --mode merge and --tables: delete destination rows the source lacks
  --batch-size N  --concurrency N  --file-concurrency N  --max-requests-per-second N
  --transport rest|auto   (bulk needs the extension on the source: refused here)
  --no-preserve-created   leave Directus' own created dates/users on new rows
  --verify                verify the selection after the run
  --force                 go ahead although versions or database vendors differ
  --artifacts DIR         save the run's artifacts (plan, log, rows before a merge) into DIR

Output: progress bars on a terminal, plain lines otherwise;
  --json                  one JSON document at the end (the answer, or { "type": "error", … })
  --ndjson                the event stream, one JSON object a line, ending with the summary or the error
Exit codes: 0 done, 1 done with failed rows (or a verification that differs), 2 bad input,
  3 refused by a guard, 4 an instance unreachable or failing.
`;

/** A bad command line: exit 2, with the message. */
export class UsageError extends Error {
	/** @param {string} message */
	constructor(message) {
		super(message);
		this.name = 'UsageError';
		this.code = 'INVALID_ARGUMENTS';
		this.status = 400;
	}
}

/** The core's message with its `scope.x` options named as this command line's flags. */
export function withFlags(message) {
	return String(message).replace(/scope\.(\w+)/g, (whole, option) => (FLAG_OF[option] ? `${FLAG_OF[option]} (${whole})` : whole));
}

const list = (text) => String(text).split(',').map((item) => item.trim()).filter(Boolean);

/** `--name` → `NAME`'s value from `env`, or a UsageError. */
function token(env, name, which) {
	if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--${which}-token-env must name an environment variable, not ${JSON.stringify(name)}`);
	const value = env[name];
	if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`the ${which === 'from' ? 'source' : 'destination'}'s token is missing: set the environment variable ${name} to an admin's static token${name.startsWith('DIRECTUS_') ? '' : ` (--${which}-token-env ${name})`}`);
	return value.trim();
}

/** An instance's address as given: http(s) only (the core checks the destination's further). */
function address(value, flag) {
	if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} URL is required`);
	let url;
	try {
		url = new URL(value);
	} catch {
		throw new UsageError(`${flag} ${JSON.stringify(value)} is not a URL`);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${flag} must be an http:// or https:// address`);
	if (url.username || url.password) throw new UsageError(`${flag} must not carry credentials: tokens are read from the environment`);
	return value.replace(/\/+$/, '');
}

/**
 * A command line, read.
 * @typedef {object} CommandLine
 * @property {string} command  one of COMMANDS, or `help` / `version`
 * @property {{ url: string, token: string }} from
 * @property {{ url: string, token: string } | null} to
 * @property {Record<string, unknown>} body  the endpoint's request body
 * @property {import('./output.js').Mode | null} output  `json` / `ndjson` when asked
 * @property {string | null} artifacts  the folder for the run's artifacts
 */

/**
 * @param {string[]} argv  the arguments after the script
 * @param {Record<string, string | undefined>} env
 * @returns {CommandLine}
 */
export function parseCommandLine(argv, env) {
	const scopeFlags = Object.fromEntries(Object.entries(SCOPE).map(([flag, [, kind]]) => [flag, { type: /** @type {'string' | 'boolean'} */ (kind === 'flag' ? 'boolean' : 'string') }]));
	let parsed;
	try {
		parsed = parseArgs({
			args: argv,
			allowPositionals: true,
			strict: true,
			options: {
				...scopeFlags,
				from: { type: 'string' },
				to: { type: 'string' },
				'from-token-env': { type: 'string', default: 'DIRECTUS_FROM_TOKEN' },
				'to-token-env': { type: 'string', default: 'DIRECTUS_TO_TOKEN' },
				all: { type: 'boolean' },
				'dry-run': { type: 'boolean' },
				'no-preserve-created': { type: 'boolean' },
				artifacts: { type: 'string' },
				json: { type: 'boolean' },
				ndjson: { type: 'boolean' },
				help: { type: 'boolean', short: 'h' },
				version: { type: 'boolean' },
			},
		});
	} catch (error) {
		throw new UsageError(`${error.message} (see --help)`);
	}
	const { positionals } = parsed;
	/** @type {Record<string, any>} */
	const values = parsed.values;
	const output = values.json ? 'json' : values.ndjson ? 'ndjson' : null;
	if (values.json && values.ndjson) throw new UsageError('--json and --ndjson: give one of them');
	if (values.help || values.version) return { command: values.help ? 'help' : 'version', from: { url: '', token: '' }, to: null, body: {}, output, artifacts: null };
	const [command, ...extra] = positionals;
	if (!command) throw new UsageError(`a command is required: one of ${COMMANDS.join(', ')} (see --help)`);
	if (!COMMANDS.includes(command)) throw new UsageError(`unknown command ${JSON.stringify(command)}: one of ${COMMANDS.join(', ')}`);
	if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])} (lists are comma-separated: --tables a,b)`);
	if (values['dry-run'] && command !== 'schema-sync') throw new UsageError(`--dry-run is for schema-sync; a run that writes nothing is the dry-run command`);
	if (values.all && values.exclude !== undefined) throw new UsageError('--all and --exclude: --all moves everything, --exclude everything but some');

	const from = { url: address(values.from, '--from'), token: token(env, values['from-token-env'], 'from') };
	const needsDestination = command !== 'tables';
	const to = needsDestination ? { url: address(values.to, '--to'), token: token(env, values['to-token-env'], 'to') } : null;

	/** @type {Record<string, unknown>} */
	const scope = {};
	for (const [flag, [option, kind]] of Object.entries(SCOPE)) {
		const value = values[flag];
		if (value === undefined) continue;
		if (kind === 'list') scope[option] = list(value);
		else if (kind === 'number') scope[option] = String(value).trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
		else scope[option] = value;
	}
	if (values.all) scope.excludedTables = [];
	if (values['no-preserve-created']) scope.preserveCreated = false;
	// Artifacts go to a local folder, or nowhere.
	if (command === 'run' || command === 'dry-run' || (command === 'schema-sync' && !values['dry-run'])) scope.artifacts = values.artifacts !== undefined;
	else if (values.artifacts !== undefined) throw new UsageError(`--artifacts is for run, dry-run and schema-sync`);

	/** @type {Record<string, unknown>} */
	const body = to ? { baseURL: to.url, token: to.token, scope } : { scope };
	if (command === 'schema-sync' && values['dry-run']) body.dryRun = true;
	return { command, from, to, body, output, artifacts: values.artifacts ?? null };
}
