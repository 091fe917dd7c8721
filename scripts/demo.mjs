// The main job on the embedded default: two local SQLite Directus instances, the source filled
// with the sample schema and data, the extension installed on both.
//
//   node scripts/demo.mjs [--version 11.17.4] [--articles 300] [--once]
//
// --once stops both instances after the report instead of waiting for Ctrl-C.
import { parseArgs } from 'node:util';
import { startPair, ADMIN } from './lib/directus.mjs';
import { client } from './lib/api.mjs';
import { enableModuleBar } from './lib/instance-setup.mjs';
import { createSampleSchema } from './lib/sample-schema.mjs';
import { seedSampleData } from './lib/sample-data.mjs';
import { seedSampleFiles } from './lib/sample-files.mjs';

const { values: options } = parseArgs({
	options: {
		version: { type: 'string', default: '11.17.4' },
		articles: { type: 'string', default: '300' },
		once: { type: 'boolean', default: false },
	},
});

const log = (line = '') => process.stdout.write(`${line}\n`);

log(`Starting a source and a destination Directus ${options.version} (SQLite, 127.0.0.1)…`);
// Both instances listen on 127.0.0.1, which Directus' default IMPORT_IP_DENY_LIST (0.0.0.0 = this
// server's own addresses) refuses as a destination: allow it, keeping the metadata address denied.
const local = { env: { IMPORT_IP_DENY_LIST: '169.254.169.254' } };
const pair = await startPair(options.version, { source: local, destination: local });
const { source, destination } = pair;
let stopping = false;
const stop = async (code) => {
	if (stopping) return;
	stopping = true;
	await pair.stop();
	process.exit(code);
};
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

try {
	await Promise.all([enableModuleBar(source), enableModuleBar(destination)]);
	log('Creating the sample schema and data on the source…');
	await createSampleSchema(source);
	const { files } = await seedSampleFiles(source, { images: 8, documents: 4 });
	const covers = files.filter((f) => f.type === 'image/png').slice(0, 6).map((f) => f.id);
	const attachments = files.filter((f) => f.type !== 'image/png').slice(0, 3).map((f) => f.id);
	const counts = await seedSampleData(source, { articles: Number(options.articles), covers, attachments });
	counts.files = files.length;
	log(`  ${Object.entries(counts).map(([c, n]) => `${c} ${n}`).join(', ')}`);

	for (const instance of [source, destination]) {
		const res = await client(instance.url).request('GET', '/migration/test');
		log(`${instance.name.padEnd(11)} GET /migration/test → ${res.status} ${res.text}`);
		if (res.status !== 200) throw new Error(`the extension does not answer on the ${instance.name}`);
	}

	const api = client(source.url, source.token);
	const target = { baseURL: destination.url, token: destination.token };
	const check = await api.request('POST', '/migration/check', target);
	log(`POST /migration/check → ${check.status} ${check.body.message}`);
	if (check.status !== 200) throw new Error('the destination is not usable');
	log('POST /migration/schema-sync →');
	const sync = await api.request('POST', '/migration/schema-sync', target);
	for (const line of sync.text.trim().split('\n')) log(`  ${line}`);
	log('POST /migration/run (every user table) →');
	const run = await api.request('POST', '/migration/run', { ...target, scope: { excludedTables: [] } });
	const lines = run.text.trim().split('\n');
	// The per-page progress lines are many: show the plan, the summary and the closing line.
	for (const line of lines.filter((l) => !/ rows read, /.test(l) || l.startsWith('  ') || l === lines.at(-1))) log(`  ${line}`);
	if (!lines.at(-1).startsWith('Migration completed')) throw new Error('the migration did not complete');

	log();
	log(`Source       ${source.url}/admin/table-migration`);
	log(`Destination  ${destination.url}/admin/table-migration`);
	log(`Log in as    ${ADMIN.email} / ${ADMIN.password}  (static token for the API: ${ADMIN.token})`);
	log();
} catch (error) {
	log(`Demo failed: ${error.stack ?? error}`);
	await stop(1);
}

if (options.once) await stop(0);
else log('Both instances keep running; press Ctrl-C to stop them.');
