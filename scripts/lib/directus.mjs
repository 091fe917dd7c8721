// Starts and stops real Directus instances for the tests, the demo and the benchmark: SQLite,
// PostgreSQL or MariaDB (scripts/lib/databases.mjs), 127.0.0.1 on a free port, a static admin
// token, the built extension installed. Each instance lives in its own temporary folder (and, on
// PostgreSQL and MariaDB, its own database) and is stopped by its own process id.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rename, rm, open, stat, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { databaseServer } from './databases.mjs';
import { freePort, listensOn } from './ports.mjs';

export { freePort };

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CACHE =
	process.env.TM_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'directus-extension-table-migration');
export const FIXTURES = process.env.TM_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures');
export const VERSIONS = (process.env.DIRECTUS_VERSIONS ?? '11.17.4 12.4.0').split(/\s+/).filter(Boolean);

export const ADMIN = { email: 'admin@example.com', password: 'migration-demo', token: 'admin-static-token' };

function runtimeDir(version) {
	const dir = join(CACHE, `directus-${version}`);
	if (!existsSync(join(dir, '.installed'))) throw new Error(`Directus ${version} is not installed: run npm run setup`);
	return dir;
}

// The API's own CLI entry: `directus/cli.js` would first ask the registry for updates.
function cliPath(version) {
	return join(runtimeDir(version), 'node_modules/@directus/api/dist/cli/run.js');
}

/** Directus' database settings: a SQLite file, or a database on one of our servers. */
function databaseEnv({ dbFile, server, database }) {
	if (!server) return { DB_CLIENT: 'sqlite3', DB_FILENAME: dbFile };
	const { host, port, user, password } = server.connection;
	return {
		DB_CLIENT: server.vendor === 'postgres' ? 'pg' : 'mysql',
		DB_HOST: host,
		DB_PORT: String(port),
		DB_DATABASE: database,
		DB_USER: user,
		DB_PASSWORD: password,
	};
}

/**
 * The environment of an instance: its own folder, port and database (`db`: DB_* settings), and its
 * storage locations — `local` (its uploads folder) and those of `storage` (name → root folder), all
 * with the local driver. Nothing STORAGE_* (or DB_*, ADMIN_*…) is inherited; `extra` comes last.
 */
function baseEnv({ dir, port, db, storage = {}, extra }) {
	const env = { ...process.env };
	for (const key of Object.keys(env)) if (/^(DB_|ADMIN_|STORAGE_|EXTENSIONS_|CACHE_)/.test(key)) delete env[key];
	const locations = { local: join(dir, 'uploads'), ...storage };
	const storageEnv = { STORAGE_LOCATIONS: Object.keys(locations).join(',') };
	for (const [name, root] of Object.entries(locations)) {
		storageEnv[`STORAGE_${name.toUpperCase()}_DRIVER`] = 'local';
		storageEnv[`STORAGE_${name.toUpperCase()}_ROOT`] = root;
	}
	return {
		...env,
		HOST: '127.0.0.1',
		PORT: String(port),
		PUBLIC_URL: `http://127.0.0.1:${port}`,
		KEY: randomBytes(16).toString('hex'),
		SECRET: randomBytes(32).toString('hex'),
		...db,
		...storageEnv,
		EXTENSIONS_PATH: join(dir, 'extensions'),
		EXTENSIONS_AUTO_RELOAD: 'false',
		TELEMETRY: 'false',
		// Directus' default deny list (`0.0.0.0,169.254.169.254`) refuses this server's own addresses,
		// loopback included, and the extension follows it for destinations and callbacks: the tests'
		// destinations, fault proxies and callback receivers all listen on 127.0.0.1, so the instances
		// allow it explicitly, keeping the cloud metadata address denied. (hostile-outbound.test.mjs
		// starts one with Directus' default set explicitly and one with it unset, `{ IMPORT_IP_DENY_LIST: undefined }`.)
		IMPORT_IP_DENY_LIST: '169.254.169.254',
		CACHE_ENABLED: 'false',
		RATE_LIMITER_ENABLED: 'false',
		// A busy 2-core machine running three databases trips the pressure limiter (503).
		PRESSURE_LIMITER_ENABLED: 'false',
		WEBSOCKETS_ENABLED: 'false',
		LOG_LEVEL: process.env.DIRECTUS_LOG_LEVEL ?? 'warn',
		LOG_STYLE: 'raw',
		...extra,
	};
}

function runCli(version, args, env, cwd) {
	return new Promise((resolveRun, reject) => {
		const child = spawn(process.execPath, [cliPath(version), ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		child.stdout.on('data', (d) => (output += d));
		child.stderr.on('data', (d) => (output += d));
		child.on('error', reject);
		child.on('exit', (code) =>
			code === 0 ? resolveRun(output) : reject(new Error(`directus ${args.join(' ')} exited ${code}:\n${output}`)),
		);
	});
}

const templates = new Map();

/**
 * A freshly bootstrapped database for `version`, made once and copied for every instance, so
 * every instance of a version starts with the same admin (same id, email and token). Safe when
 * several instances start at once, in this process (one promise per version) or in others (a
 * lock file; the database is built under a unique name and renamed into place).
 */
function templateDatabase(version) {
	if (!templates.has(version)) {
		const made = makeTemplate(version);
		templates.set(version, made);
		made.catch(() => templates.delete(version));
	}
	return templates.get(version);
}

async function makeTemplate(version) {
	const file = join(CACHE, 'templates', `directus-${version}.db`);
	if (existsSync(file)) return file;
	await mkdir(dirname(file), { recursive: true });
	const release = await lock(`${file}.lock`);
	try {
		if (existsSync(file)) return file; // another process made it while we waited
		const work = await mkdtemp(join(tmpdir(), 'tm-template-'));
		const dbFile = join(work, 'data.db');
		const env = baseEnv({ dir: work, port: 0, db: databaseEnv({ dbFile }), extra: {
			ADMIN_EMAIL: ADMIN.email,
			ADMIN_PASSWORD: ADMIN.password,
			ADMIN_TOKEN: ADMIN.token,
		} });
		await runCli(version, ['bootstrap'], env, work);
		const partial = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
		await cp(dbFile, partial);
		await rename(partial, file);
		await rm(work, { recursive: true, force: true });
		return file;
	} finally {
		await release();
	}
}

const serverTemplates = new Map();

/**
 * The same for a database server: a database bootstrapped once per version in this process's
 * server, that each instance's database is copied from.
 */
function serverTemplate(server, version) {
	const key = `${server.vendor}:${version}`;
	if (!serverTemplates.has(key)) {
		const made = (async () => {
			const name = `template_${version.replace(/\W/g, '_')}`;
			await server.createDatabase(name);
			const work = await mkdtemp(join(tmpdir(), 'tm-template-'));
			const env = baseEnv({ dir: work, port: 0, db: databaseEnv({ server, database: name }), extra: {
				ADMIN_EMAIL: ADMIN.email,
				ADMIN_PASSWORD: ADMIN.password,
				ADMIN_TOKEN: ADMIN.token,
			} });
			await runCli(version, ['bootstrap'], env, work);
			await rm(work, { recursive: true, force: true });
			return name;
		})();
		serverTemplates.set(key, made);
		made.catch(() => serverTemplates.delete(key));
	}
	return serverTemplates.get(key);
}

/**
 * Take an exclusive lock file (created with O_EXCL); waits while another process holds it. A lock
 * older than `staleMs` is left over from a process that died, and is taken over.
 */
async function lock(path, { staleMs = 300_000 } = {}) {
	for (;;) {
		try {
			const handle = await open(path, 'wx');
			await handle.writeFile(String(process.pid));
			await handle.close();
			return () => rm(path, { force: true });
		} catch (error) {
			if (error.code !== 'EEXIST') throw error;
			const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
			if (age > staleMs) await rm(path, { force: true });
			else await new Promise((r) => setTimeout(r, 250));
		}
	}
}

/** Copies the built extension (package.json + dist/) where Directus looks for local extensions. */
async function installExtension(extensionsDir) {
	if (!existsSync(join(ROOT, 'dist/api.js'))) throw new Error('dist/ is missing: run npm run build');
	const target = join(extensionsDir, 'directus-extension-table-migration');
	await mkdir(target, { recursive: true });
	await cp(join(ROOT, 'package.json'), join(target, 'package.json'));
	await cp(join(ROOT, 'dist'), join(target, 'dist'), { recursive: true });
}

/**
 * Start one Directus instance.
 * @param {object} options
 * @param {string} options.version   a pinned Directus version (see VERSIONS)
 * @param {string} [options.name]    label for logs
 * @param {boolean} [options.extension=true]  install the built extension
 * @param {'sqlite'|'postgres'|'mysql'} [options.db='sqlite']  the database Directus runs on
 * @param {string} [options.database] an existing SQLite file to copy instead of a fresh database
 * @param {string} [options.uploads]  an uploads folder to copy with it
 * @param {string} [options.token]    the admin's static token in that database
 * @param {boolean} [options.fresh]   bootstrap a database of its own instead of copying the
 *   version's template: its administrator (role, policy, user) gets ids no other instance has
 * @param {{ email: string, password: string, token: string }} [options.admin]  with `fresh`: its
 *   administrator (default: ADMIN's, with other ids)
 * @param {object} [options.storage]  more storage locations than `local`: name → root folder (made
 *                                    when missing; anything else there, a file say, is left as is)
 * @param {object} [options.env]      extra environment
 */
export async function startDirectus({ version, name = 'directus', db = 'sqlite', extension = true, database, uploads, token = ADMIN.token, fresh = false, admin = ADMIN, storage = {}, env: extra = {} }) {
	const dir = await mkdtemp(join(tmpdir(), `tm-${name}-`));
	// Directus looks for npm-installed extensions in the working folder's package.json.
	await writeFile(join(dir, 'package.json'), '{ "name": "directus-instance", "private": true }\n');
	if (fresh) token = admin.token;
	let dbFile = null;
	let server = null;
	let dbName = null;
	if (db === 'sqlite') {
		dbFile = join(dir, 'data.db');
		if (!fresh) await cp(database ?? (await templateDatabase(version)), dbFile);
	} else {
		if (database) throw new Error('options.database is a SQLite file: only with db: sqlite');
		server = await databaseServer(db);
		dbName = `${name.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
		await server.createDatabase(dbName, fresh ? {} : { template: await serverTemplate(server, version) });
	}
	await mkdir(join(dir, 'uploads'), { recursive: true });
	if (uploads) await cp(uploads, join(dir, 'uploads'), { recursive: true });
	await mkdir(join(dir, 'extensions'), { recursive: true });
	if (extension) await installExtension(join(dir, 'extensions'));

	for (const root of Object.values(storage)) if (!existsSync(root)) await mkdir(root, { recursive: true });

	const port = await freePort();
	const env = baseEnv({ dir, port, db: databaseEnv({ dbFile, server, database: dbName }), storage, extra });
	// A database brought from elsewhere is bootstrapped first (applies pending migrations only);
	// a fresh one is made here, with its own administrator.
	if (fresh) await runCli(version, ['bootstrap'], { ...env, ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password, ADMIN_TOKEN: admin.token }, dir);
	else if (database) await runCli(version, ['bootstrap'], env, dir);
	return runningInstance({
		name,
		version,
		db,
		port,
		env,
		dir,
		dbFile,
		token,
		/** The administrator's e-mail and password (a fresh instance's own, or the template's). */
		admin: fresh ? { email: admin.email, password: admin.password } : database ? null : { email: ADMIN.email, password: ADMIN.password },
		knexConfig: server
			? { client: db === 'postgres' ? 'pg' : 'mysql2', connection: { ...server.connection, database: dbName } }
			: { client: 'sqlite3', connection: { filename: dbFile }, useNullAsDefault: true },
		drop: async () => {
			if (server) await server.dropDatabase(dbName).catch(() => {});
		},
	});
}

/**
 * A Directus process (`directus start` in `dir` with `env`, its output appended to `logFile`) as
 * an instance object; `drop()` removes what `stop()` removes besides `dir`.
 */
async function runningInstance({ name, version, db, port, env, dir, dbFile, knexConfig, token, admin, drop = async () => {} }) {
	const logFile = join(dir, 'directus.log');
	const url = `http://127.0.0.1:${port}`;
	let child = null;
	let exited = null;
	let halting = false;

	/** Spawn `directus start` (same port, folder, database and environment) and wait for it to answer. */
	async function launch() {
		const log = await open(logFile, 'a');
		const spawned = spawn(process.execPath, [cliPath(version), 'start'], { env, cwd: dir, stdio: ['ignore', log.fd, log.fd] });
		child = spawned;
		exited = null;
		instance.pid = spawned.pid;
		spawned.on('exit', (code, signal) => {
			if (child !== spawned) return;
			exited = { code, signal };
			// A process that ends on its own is a finding: its last words go to the test output.
			if (!halting) console.error(`${name} (Directus ${version}, pid ${spawned.pid}) exited by itself (${JSON.stringify(exited)}):\n${instance.log().slice(-4000)}`);
		});
		await log.close();
		const deadline = Date.now() + 90_000;
		for (;;) {
			if (exited) throw new Error(`${name} (Directus ${version}) exited during start-up (${JSON.stringify(exited)}):\n${instance.log().slice(-4000)}`);
			let answered = false;
			try {
				answered = (await fetch(`${url}/server/ping`)).ok;
			} catch {
				// not listening yet
			}
			// The answer must come from this process: a server of another test file on the port
			// means ours cannot listen, and exits (reported above).
			if (answered && listensOn(spawned.pid, port) !== false) return;
			if (Date.now() > deadline) {
				await instance.stop({ keep: true });
				throw new Error(`${name} (Directus ${version}) did not answer within 90 s; log in ${logFile}`);
			}
			await new Promise((r) => setTimeout(r, 250));
		}
	}

	/** Send `signal` to the process and wait until it has exited (SIGKILL after 10 s). */
	async function halt(signal) {
		if (exited !== null || child === null) return;
		const running = child;
		const done = new Promise((r) => running.once('exit', r));
		halting = true;
		process.kill(running.pid, signal);
		const timer = setTimeout(() => exited === null && process.kill(running.pid, 'SIGKILL'), 10_000);
		await done;
		clearTimeout(timer);
		halting = false;
	}

	const instance = {
		name,
		/** The environment it runs with (SECRET, KEY, DB_*…), for a replica of it. */
		env,
		version,
		db,
		url,
		port,
		token,
		/** The administrator's e-mail and password (a fresh instance's own, or the template's). */
		admin,
		pid: null,
		dir,
		dbFile,
		/** knex connection settings of its database (`client`, `connection`), for seeding and checks. */
		knexConfig,
		uploadsDir: env.STORAGE_LOCAL_ROOT ?? join(dir, 'uploads'),
		logFile,
		log: () => readFileSync(logFile, 'utf8'),
		/** Whether the process is running. */
		get running() {
			return child !== null && exited === null;
		},
		/** Kill the process (SIGKILL by default: no clean shutdown), keeping its folder and database. */
		kill: ({ signal = 'SIGKILL' } = {}) => halt(signal),
		/** Start it again after `kill`, on the same port, folder and database; resolves once it answers. */
		async start() {
			if (instance.running) throw new Error(`${name} is already running (pid ${instance.pid})`);
			await launch();
		},
		/** `kill` then `start`; `env` changes the environment from then on (`undefined` removes a variable). */
		async restart({ signal = 'SIGKILL', env: changes } = {}) {
			await halt(signal);
			if (changes) Object.assign(env, changes);
			await launch();
		},
		async stop({ keep = false } = {}) {
			await halt('SIGTERM');
			if (!keep) {
				await rm(dir, { recursive: true, force: true });
				await drop();
			}
		},
	};

	await launch();
	return instance;
}

/** Start a source and a destination with the extension, both on `version` and on `options.db`. */
export async function startPair(version, options = {}) {
	const db = options.db ?? 'sqlite';
	const [source, destination] = await Promise.all([
		startDirectus({ version, name: 'source', db, ...options.source }),
		startDirectus({ version, name: 'destination', db, ...options.destination }),
	]);
	return {
		source,
		destination,
		stop: () => Promise.all([source.stop(), destination.stop()]),
	};
}

/**
 * A second Directus process of `instance`'s version on the SAME database (its SQLite file, or its
 * database on the server), with the same SECRET, KEY and storage (uploads shared), on a port and
 * in a folder of its own, the extension installed. `env` changes its environment. Its `stop()`
 * removes its folder only: the database stays `instance`'s.
 */
export async function startReplica(instance, { name = `${instance.name}-replica`, env: extra = {}, extension = true } = {}) {
	const dir = await mkdtemp(join(tmpdir(), `tm-${name}-`));
	await writeFile(join(dir, 'package.json'), '{ "name": "directus-instance", "private": true }\n');
	await mkdir(join(dir, 'extensions'), { recursive: true });
	if (extension) await installExtension(join(dir, 'extensions'));
	const port = await freePort();
	const env = { ...instance.env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, EXTENSIONS_PATH: join(dir, 'extensions'), ...extra };
	return runningInstance({ name, version: instance.version, db: instance.db, port, env, dir, dbFile: instance.dbFile, token: instance.token, admin: instance.admin, knexConfig: instance.knexConfig });
}

/** Kill `instance`'s process with SIGKILL (by its own pid) and wait until it has exited. */
export const kill9 = (instance) => instance.kill({ signal: 'SIGKILL' });

/** Start `instance` again (after `kill9`, or kill it first) on the same database, port and environment. */
export const restart = (instance, options) => (instance.running ? instance.restart(options) : instance.start());
