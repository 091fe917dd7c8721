// @ts-check
// The host the core calls back into when it runs from the command line (shape: `MigrationHost`
// in the generated table_migration.d.ts), where the extension's is built from Directus services
// (js-shim/endpoint/host/index.js):
// - source.js:    the source's rows, counts, schema and files, read through its REST API;
// - artifacts.js: the run's artifacts, in a local folder (`--artifacts DIR`);
// - jobs.js:      the run's job, in memory (the process is its whole life);
// - the destination's downloads hashed as they stream, and the outbound rules' name lookups,
//   shared with the endpoint.
// It executes what the core asks; every decision is the core's.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { digestDownload } from '../endpoint/host/files.js';
import { network } from '../endpoint/host/network.js';
import { restSource } from './source.js';
import { localArtifacts } from './artifacts.js';
import { memoryJobs } from './jobs.js';

/** @typedef {import('../../target/pkg/table_migration.js').MigrationHost} MigrationHost */
/** @typedef {import('../../target/pkg/table_migration.js').MigrationEvent} MigrationEvent */
/** @typedef {import('../../target/pkg/table_migration.js').ExtensionSettings} ExtensionSettings */

/** What only an instance with the extension does: the command line is never a bulk receiver, and without --artifacts it has no library. */
const refuse = (what) => async () => {
	throw new Error(`the command line ${what}`);
};

/** @type {Pick<MigrationHost, 'databaseClient' | 'existingKeys' | 'keysWithNull' | 'insertRows' | 'updateRows' | 'advanceSequence' | 'readRows'>} */
const notAReceiver = {
	databaseClient: refuse('is never a bulk receiver'),
	existingKeys: refuse('is never a bulk receiver'),
	keysWithNull: refuse('is never a bulk receiver'),
	insertRows: refuse('is never a bulk receiver'),
	updateRows: refuse('is never a bulk receiver'),
	advanceSequence: refuse('is never a bulk receiver'),
	readRows: refuse('is never a bulk receiver'),
};

/** @type {Pick<MigrationHost, 'findFolder' | 'createFolder' | 'openFile' | 'appendFile' | 'closeFile'>} */
const noLibrary = {
	findFolder: refuse('writes artifacts only with --artifacts DIR'),
	createFolder: refuse('writes artifacts only with --artifacts DIR'),
	openFile: refuse('writes artifacts only with --artifacts DIR'),
	appendFile: refuse('writes artifacts only with --artifacts DIR'),
	closeFile: refuse('writes artifacts only with --artifacts DIR'),
};

/**
 * @param {object} options
 * @param {ReturnType<typeof import('./source.js').sourceClient>} options.source
 * @param {string | null} options.artifacts  the folder for the run's artifacts, or null: none
 * @param {(event: MigrationEvent) => void} options.emit
 * @returns {{ host: MigrationHost & { settings: ExtensionSettings }, cancelRunning: () => number }}
 */
export function cliHost({ source, artifacts, emit }) {
	const jobs = memoryJobs();
	/** @type {ExtensionSettings} */
	const settings = {
		// The person at the command line chose both addresses: no allow-list, no deny-list (those
		// guard a server from its callers).
		allowedDestinations: '',
		allowedCallbacks: '',
		ipDenyList: [],
		callbackSecret: '',
		// `--artifacts DIR` is the one "storage location" (`folder:<DIR>`, FOLDER_STORAGE in the
		// core); files there are not sealed: they are the user's own, readable by their owner only.
		storageLocation: artifacts ? `folder:${resolve(artifacts)}` : '',
		storageLocations: artifacts ? [`folder:${resolve(artifacts)}`] : [],
		secretMissing: !artifacts,
		instance: `cli:${hostname()}:${process.pid}`,
		jobsRetention: '',
		user: null,
		sourceOverApi: true,
	};
	const host = {
		settings,
		...restSource(source),
		digestDownload,
		...(artifacts ? localArtifacts(artifacts) : noLibrary),
		...jobs.store,
		...notAReceiver,
		...network,
		emit,
	};
	return { host, cancelRunning: jobs.cancelRunning };
}
