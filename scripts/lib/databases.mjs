// Throwaway PostgreSQL and MariaDB servers for the tests and the benchmark, from Debian's packages
// (scripts/setup.sh installs them): one server per vendor per process, started on first use in
// its own temporary folder, listening on a free 127.0.0.1 port (and a Unix socket in that folder),
// and stopped by its own process id when the process is done with it (or by
// `stopDatabaseServers()`). Each Directus instance gets its own database in it.
//
// PostgreSQL refuses to run as root: as root, its programs run as the `postgres` system user
// (setpriv, which execs, so the process id we hold is the server's) in a folder that user owns.
// MariaDB drops to the `mysql` user itself (`--user`).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.mjs';

/** The database vendors the suites run on: `TM_DATABASES` (space or comma separated), default all three. */
export const DATABASES = (process.env.TM_DATABASES ?? 'sqlite postgres mysql').split(/[\s,]+/).filter(Boolean);
for (const vendor of DATABASES) {
	if (!['sqlite', 'postgres', 'mysql'].includes(vendor)) throw new Error(`TM_DATABASES: unknown database ${vendor} (sqlite, postgres or mysql)`);
}

/** What each vendor is called in Directus' schema snapshots. */
export const VENDOR_NAMES = { sqlite: 'sqlite', postgres: 'postgres', mysql: 'mysql' };

const isRoot = process.getuid?.() === 0;
const servers = new Map();

/** A running server of `vendor` for this process (started on first call). */
export function databaseServer(vendor) {
	if (!servers.has(vendor)) {
		const started = vendor === 'postgres' ? startPostgres() : vendor === 'mysql' ? startMariaDB() : Promise.reject(new Error(`no server for ${vendor}`));
		servers.set(vendor, started);
		started.catch(() => servers.delete(vendor));
	}
	return servers.get(vendor);
}

/** Stop every server this process started, each by its own process id, and remove its folder. */
export async function stopDatabaseServers() {
	const running = [...servers.values()];
	servers.clear();
	await Promise.all(running.map((started) => started.then((server) => server.stop(), () => {})));
}

// Stop the servers when the process is done (node:test files, scripts that forget); a last
// resort on exit signals them without waiting.
let stopping = null;
process.on('beforeExit', () => {
	if (servers.size > 0 && !stopping) stopping = stopDatabaseServers().finally(() => (stopping = null));
});
const live = new Set();
process.on('exit', () => {
	for (const { pid, signal } of live) {
		try {
			process.kill(pid, signal);
		} catch {
			// already gone
		}
	}
});

function run(command, args, { user, input, env } = {}) {
	const [file, argv] = user && isRoot ? ['setpriv', [`--reuid=${user}`, `--regid=${user}`, '--init-groups', '--', command, ...args]] : [command, args];
	const result = spawnSync(file, argv, { input, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 });
	if (result.error) throw result.error;
	if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}${result.stderr}`);
	return result.stdout;
}

/** A temporary folder whose `data` and `run` subfolders belong to `user` (when we are root). */
function serverFolder(vendor, user) {
	const dir = mkdtempSync(join(tmpdir(), `tm-${vendor}-`));
	chmodSync(dir, 0o755);
	for (const sub of ['data', 'run']) {
		mkdirSync(join(dir, sub), { mode: 0o700 });
		if (isRoot) chownSync(join(dir, sub), uidOf(user), gidOf(user));
	}
	return dir;
}

const uidOf = (user) => Number(run('id', ['-u', user]).trim());
const gidOf = (user) => Number(run('id', ['-g', user]).trim());

/** Spawn a server detached from our stdio (its output goes to `logFile`), tracked for exit. */
function spawnServer(command, args, { user, logFile, signal }) {
	const [file, argv] = user && isRoot ? ['setpriv', [`--reuid=${user}`, `--regid=${user}`, '--init-groups', '--', command, ...args]] : [command, args];
	const log = openSync(logFile, 'a');
	const child = spawn(file, argv, { stdio: ['ignore', log, log] });
	closeSync(log);
	child.unref();
	const entry = { pid: child.pid, signal };
	live.add(entry);
	let exited = null;
	child.on('exit', (code, sig) => {
		exited = { code, signal: sig };
		live.delete(entry);
	});
	return { child, pid: child.pid, exited: () => exited };
}

/** Waits until `query('SELECT 1')` succeeds on the server `proc` started, for at most a minute;
 * fails at once if the server exits, with the end of its log. */
async function waitUntilAnswering(proc, query, { what, log }) {
	const timeoutMs = 60_000;
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (proc.exited()) throw new Error(`${what} exited during start-up (${JSON.stringify(proc.exited())}):\n${log()}`);
		try {
			query('SELECT 1');
			return;
		} catch {
			// not answering yet
		}
		if (Date.now() > deadline) throw new Error(`${what} did not start within ${timeoutMs / 1000} s:\n${log()}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

async function stopProcess(proc, signal, dir) {
	if (!proc.exited()) {
		try {
			process.kill(proc.pid, signal);
		} catch {
			// already gone
		}
		const deadline = Date.now() + 30_000;
		while (!proc.exited() && isAlive(proc.pid)) {
			if (Date.now() > deadline) {
				process.kill(proc.pid, 'SIGKILL');
				break;
			}
			await new Promise((r) => setTimeout(r, 50));
		}
	}
	rmSync(dir, { recursive: true, force: true });
}

function isAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

const logTail = (file) => () => (existsSync(file) ? readFileSync(file, 'utf8').slice(-4000) : '(no log)');

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** Debian's PostgreSQL programs live in /usr/lib/postgresql/<major>/bin; the newest one wins. */
function postgresBin(program) {
	const root = '/usr/lib/postgresql';
	const majors = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', program))).sort((a, b) => Number(b) - Number(a)) : [];
	if (majors.length === 0) throw new Error(`PostgreSQL's ${program} is not installed: run npm run setup (it installs Debian's postgresql)`);
	return join(root, majors[0], 'bin', program);
}

async function startPostgres() {
	const user = 'postgres';
	const dir = serverFolder('postgres', user);
	const data = join(dir, 'data');
	const socketDir = join(dir, 'run');
	const password = randomBytes(12).toString('hex');
	const pwfile = join(socketDir, 'pw');
	writeFileSync(pwfile, `${password}\n`);
	if (isRoot) chownSync(pwfile, uidOf(user), gidOf(user));
	// Local socket: trust (the folder is ours); TCP on 127.0.0.1: the password.
	run(postgresBin('initdb'), ['-D', data, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'], { user });
	rmSync(pwfile);
	const port = await freePort();
	const logFile = join(socketDir, 'postgres.log');
	const proc = spawnServer(postgresBin('postgres'), [
		'-D', data, '-p', String(port), '-k', socketDir,
		'-c', 'listen_addresses=127.0.0.1', '-c', `logging_collector=off`,
		'-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
		'-c', 'max_connections=300', '-c', 'shared_buffers=128MB',
		'-c', `log_destination=stderr`,
	], { user, logFile, signal: 'SIGINT' });
	const psql = (sql, database = 'postgres') => run(postgresBin('psql'), ['-h', socketDir, '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql]);
	await waitUntilAnswering(proc, psql, { what: 'PostgreSQL', log: logTail(logFile) });

	const ident = (name) => `"${name.replace(/"/g, '""')}"`;
	return {
		vendor: 'postgres',
		pid: proc.pid,
		dir,
		port,
		connection: { host: '127.0.0.1', port, user: 'postgres', password },
		query: psql,
		/** A new empty database, or a copy of `template` (PostgreSQL copies it file by file). */
		async createDatabase(name, { template } = {}) {
			psql(`CREATE DATABASE ${ident(name)}${template ? ` TEMPLATE ${ident(template)}` : ''}`);
		},
		async dropDatabase(name) {
			psql(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
		},
		stop: () => stopProcess(proc, 'SIGINT', dir),
	};
}

// ---------------------------------------------------------------------------------------------
// MariaDB

function mariadbBin(program) {
	for (const dir of ['/usr/sbin', '/usr/bin']) if (existsSync(join(dir, program))) return join(dir, program);
	throw new Error(`MariaDB's ${program} is not installed: run npm run setup (it installs Debian's mariadb-server)`);
}

async function startMariaDB() {
	const user = isRoot ? 'mysql' : userInfo().username;
	const dir = serverFolder('mariadb', user);
	const data = join(dir, 'data');
	const socket = join(dir, 'run', 'mariadbd.sock');
	run(mariadbBin('mariadb-install-db'), ['--no-defaults', `--datadir=${data}`, `--user=${user}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'], {});
	const port = await freePort();
	const logFile = join(dir, 'run', 'mariadbd.log');
	const proc = spawnServer(mariadbBin('mariadbd'), [
		'--no-defaults', `--datadir=${data}`, `--user=${user}`, `--socket=${socket}`, `--port=${port}`,
		'--bind-address=127.0.0.1', `--pid-file=${join(dir, 'run', 'mariadbd.pid')}`, `--log-error=${logFile}`,
		'--character-set-server=utf8mb4', '--collation-server=utf8mb4_unicode_ci', '--skip-name-resolve',
		'--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0', '--skip-log-bin', '--innodb-buffer-pool-size=128M',
		'--max-connections=300',
	], { user: null, logFile, signal: 'SIGTERM' });
	const cli = (sql, database) => run(mariadbBin('mariadb'), ['--no-defaults', `--socket=${socket}`, '-uroot', '--batch', '--skip-column-names', ...(database ? [database] : []), '-e', sql]);
	await waitUntilAnswering(proc, cli, { what: 'MariaDB', log: logTail(logFile) });
	const password = randomBytes(12).toString('hex');
	cli(`CREATE USER 'directus'@'127.0.0.1' IDENTIFIED BY '${password}'; GRANT ALL PRIVILEGES ON *.* TO 'directus'@'127.0.0.1' WITH GRANT OPTION;`);

	const ident = (name) => `\`${name.replace(/`/g, '``')}\``;
	return {
		vendor: 'mysql',
		pid: proc.pid,
		dir,
		port,
		connection: { host: '127.0.0.1', port, user: 'directus', password },
		query: cli,
		/** A new empty database, or a copy of `template` (dumped and loaded: MariaDB has no templates). */
		async createDatabase(name, { template } = {}) {
			cli(`CREATE DATABASE ${ident(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
			if (template) {
				const dump = run(mariadbBin('mariadb-dump'), ['--no-defaults', `--socket=${socket}`, '-uroot', '--single-transaction', '--skip-comments', '--routines', template]);
				run(mariadbBin('mariadb'), ['--no-defaults', `--socket=${socket}`, '-uroot', name], { input: dump });
			}
		},
		async dropDatabase(name) {
			cli(`DROP DATABASE IF EXISTS ${ident(name)}`);
		},
		stop: () => stopProcess(proc, 'SIGTERM', dir),
	};
}
