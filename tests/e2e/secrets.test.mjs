// No secret leaves: with a recognisable destination token and both instances logging at trace
// level, every kind of request the extension takes (checks, table lists, schema syncs, dry runs
// and runs over both transports with files, refusals and errors) leaves no trace of the token in
// the source's log, in any streamed line, report or error body. On the destination, the only
// lines that hold it are Directus' own trace of the SQL it runs to look a static token up (it
// logs every query with its bindings at trace level, for any client that sends a static token):
// the test checks that every such line is exactly that, and nothing else.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { VERSIONS, startPair } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { createSampleSchema } from '../../scripts/lib/sample-schema.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { seedSampleFiles } from '../../scripts/lib/sample-files.mjs';
import { migrationCall } from './support.mjs';

const SECRET = `tm-secret-${randomBytes(12).toString('hex')}`;

for (const version of VERSIONS) {
	describe(`no secret leaves on Directus ${version}`, () => {
		let pair, source, destination;
		const seen = [];

		before(async () => {
			const trace = { env: { LOG_LEVEL: 'trace' } };
			pair = await startPair(version, { source: trace, destination: trace });
			({ source, destination } = pair);
			await createSampleSchema(source);
			const { files } = await seedSampleFiles(source, { images: 2, documents: 1 });
			await seedSampleData(source, { articles: 30, covers: files.filter((f) => f.type === 'image/png').map((f) => f.id) });
			// The destination's admin gets the recognisable token.
			await client(destination.url, destination.token).patch('/users/me', { token: SECRET });
		});
		after(() => pair?.stop());

		const call = async (route, body, accept) => {
			const res = await migrationCall(source, route, body, accept ? { accept } : {});
			seen.push(`${route} → ${res.status}\n${res.text}`);
			return res;
		};

		test('every kind of request, successful or refused, with the token', async () => {
			const target = { baseURL: destination.url, token: SECRET };
			const ndjson = 'application/x-ndjson';
			assert.equal((await call('check', target)).status, 200);
			assert.equal((await call('check', { ...target, baseURL: 'http://127.0.0.1:9' })).status, 502);
			assert.equal((await call('check', { ...target, token: `${SECRET.slice(0, 12)}-not-it` })).status, 400);
			assert.equal((await call('tables', target)).status, 200);
			assert.equal((await call('run', { ...target, scope: { selectedTables: ['articles'] } })).status, 409);
			assert.equal((await call('schema-sync', { ...target, dryRun: true }, ndjson)).status, 200);
			assert.equal((await call('schema-sync', target, ndjson)).status, 200);
			assert.equal((await call('dry-run', { ...target, scope: { excludedTables: [] } }, ndjson)).status, 200);
			assert.equal((await call('run', { ...target, scope: { excludedTables: ['tags', 'articles_tags'], transport: 'rest' } })).status, 200);
			const bulk = await call('run', { ...target, scope: { excludedTables: [], transport: 'bulk' } }, ndjson);
			assert.equal(bulk.status, 200);
			assert.equal(JSON.parse(bulk.lines.at(-1)).status, 'completed', bulk.text.slice(-2000));
			assert.equal((await call('run', { ...target, scope: { selectedTables: ['nope'] } })).status, 400);
			assert.equal((await call('run', { ...target, scope: { selectedTables: ['tags'] }, extra: SECRET })).status, 400);
			// The destination answering the run with its own errors: a 403 from an editor-like token.
			assert.equal((await call('run', { ...target, token: 'x'.repeat(40), scope: { selectedTables: ['tags'] } })).status, 400);
		});

		test('the token appears in no log line, stream, report or error body', async () => {
			await new Promise((r) => setTimeout(r, 500)); // let the logs flush
			const places = [['source log', source.log()], ...seen.map((text, i) => [`answer ${i}`, text])];
			assert.ok(source.log().length > 1000, 'the source logged at trace level');
			for (const [where, text] of places) {
				assert.ok(!text.includes(SECRET.slice(10)), `${where} holds the token: ${text.split('\n').find((l) => l.includes(SECRET.slice(10)))?.slice(0, 300)}`);
			}
			// Directus' own query trace on the destination: `[0.3ms] select … where \`directus_users\`.\`token\` = ? … [<token>, …]`.
			const directusQueryTrace = /^\[\d+(\.\d+)?ms\] (select|update) .*`directus_users`.*`token` = \?/;
			const holding = destination.log().split('\n').filter((line) => line.includes(SECRET.slice(10)));
			assert.ok(holding.length > 0, 'the destination did authenticate the token');
			for (const line of holding) {
				const entry = JSON.parse(line);
				assert.equal(entry.level, 10, `only trace lines: ${line.slice(0, 300)}`);
				assert.match(entry.msg, directusQueryTrace, `only Directus' own token lookup: ${line.slice(0, 300)}`);
			}
		});
	});
}
