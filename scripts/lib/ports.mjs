// Ports on 127.0.0.1 for the servers the tests start (Directus, database servers, proxies).
//
// Two test files run at once, each in its own Node process. A port that one process found free
// and let go of, for a server that binds it only seconds later, could be found free by the other
// process in between: the second server then fails to listen, and the first process's checks
// talk to the other process's server. So every port handed out is reserved, across processes, in
// a folder of reservations: a file per port holding the reserving process's id, honoured while
// that process lives.
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RESERVED = join(tmpdir(), 'tm-ports');

function alive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return error.code === 'EPERM';
	}
}

/** Reserve `port` for this process; false when a live process holds it already. */
function reserve(port) {
	mkdirSync(RESERVED, { recursive: true });
	const file = join(RESERVED, String(port));
	for (let attempt = 0; attempt < 2; attempt++) {
		try {
			const fd = openSync(file, 'wx');
			writeSync(fd, String(process.pid));
			closeSync(fd);
			return true;
		} catch (error) {
			if (error.code !== 'EEXIST') throw error;
			const holder = Number(readFileSync(file, 'utf8'));
			if (holder === process.pid || (holder && alive(holder))) return false;
			rmSync(file, { force: true }); // its process is gone
		}
	}
	return false;
}

function unusedPort() {
	return new Promise((resolvePort, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolvePort(port));
		});
	});
}

/** A port on 127.0.0.1 that nothing listens on now, reserved for this process for its life. */
export async function freePort() {
	for (let attempt = 0; attempt < 50; attempt++) {
		const port = await unusedPort();
		if (reserve(port)) return port;
	}
	throw new Error('no free port could be reserved');
}

/** Let go of the reservations of this process (they lapse anyway when it ends). */
export function releasePorts() {
	let names = [];
	try {
		names = readdirSync(RESERVED);
	} catch {
		return;
	}
	for (const name of names) {
		try {
			if (Number(readFileSync(join(RESERVED, name), 'utf8')) === process.pid) rmSync(join(RESERVED, name), { force: true });
		} catch {
			// gone meanwhile
		}
	}
}
process.once('exit', releasePorts);

/**
 * Whether the process `pid` is the one listening on 127.0.0.1:`port` (Linux: the listening
 * socket's inode in /proc/net/tcp among the process's open files); `null` where /proc cannot tell.
 */
export function listensOn(pid, port) {
	let table;
	try {
		table = readFileSync('/proc/net/tcp', 'utf8') + readFileSync('/proc/net/tcp6', 'utf8');
	} catch {
		return null;
	}
	const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
	const inodes = new Set();
	for (const line of table.split('\n').slice(1)) {
		const fields = line.trim().split(/\s+/);
		// local address, state 0A = LISTEN, inode
		if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A') inodes.add(fields[9]);
	}
	if (inodes.size === 0) return false;
	let fds;
	try {
		fds = readdirSync(`/proc/${pid}/fd`);
	} catch {
		return null;
	}
	return fds.some((fd) => {
		try {
			const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
			return inodes.has(target.slice('socket:['.length, -1)) && target.startsWith('socket:[');
		} catch {
			return false;
		}
	});
}
