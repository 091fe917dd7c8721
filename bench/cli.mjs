// The benchmark's command-line phase: `node dist/cli.js` (issue 26) run as a user runs it, the
// source read over its REST API and the destination written over REST, its wall time from spawn
// to exit (Node's start-up and the core's load included).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../scripts/lib/directus.mjs';

export const CLI = join(ROOT, 'dist/cli.js');

/** Whether the command line is built. */
export const cliBuilt = () => existsSync(CLI);

/**
 * The command line's flags for an endpoint `scope` (the benchmark's): the selection, the
 * transport (REST unless it says), and the options it maps one to one. Returns `{ flags, ignored }`, `ignored`
 * naming the scope keys it has no flag for.
 */
export function cliFlags(scope, { artifactsDir } = {}) {
	const flags = ['--transport', scope.transport ?? 'rest'];
	const ignored = [];
	const numeric = { batchSize: '--batch-size', concurrency: '--concurrency', fileConcurrency: '--file-concurrency', maxRequestsPerSecond: '--max-requests-per-second' };
	const switches = { force: '--force', verify: '--verify', deleteMissing: '--delete-missing' };
	for (const [key, value] of Object.entries(scope)) {
		if (key === 'transport' || key === 'artifacts') continue;
		if (key === 'selectedTables') flags.push('--tables', value.join(','));
		else if (key === 'excludedTables') flags.push(...(value.length ? ['--exclude', value.join(',')] : ['--all']));
		else if (key in numeric) flags.push(numeric[key], String(value));
		else if (key === 'mode') flags.push('--mode', value);
		else if (key === 'updatedAfter') flags.push('--updated-after', value);
		else if (key === 'preserveCreated') flags.push(...(value === false ? ['--no-preserve-created'] : []));
		else if (key in switches) flags.push(...(value ? [switches[key]] : []));
		else ignored.push(key);
	}
	if (scope.artifacts !== false && artifactsDir) flags.push('--artifacts', artifactsDir);
	return { flags, ignored };
}

/**
 * Run `node dist/cli.js ...args` with `env` added to this process's environment; `onSpawn(pid)`
 * hears its process id (for the RSS sampler). Resolves with its `--json` document, or throws with
 * its exit code and the end of its output.
 */
export function runCli(args, env, { onSpawn } = {}) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
		onSpawn?.(child.pid);
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.on('error', reject);
		child.on('close', (code, signal) => {
			let document = null;
			try {
				document = JSON.parse(stdout);
			} catch {
				// not one JSON document: reported below
			}
			if (code !== 0 || document === null) {
				reject(new Error(`cli ${args[0]} exited ${code ?? signal}:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
			} else resolve(document);
		});
	});
}
