// Outbound requests follow Directus' own rule (IMPORT_IP_DENY_LIST) and are never redirected.
// Two instances with the extension, both on Directus' default deny list (`0.0.0.0,169.254.169.254`:
// this server's own addresses — 127.0.0.1 included — and the cloud metadata address), the source
// with it set explicitly, the destination with IMPORT_IP_DENY_LIST unset (Directus' default applies):
// - the "source" names the origins it may talk to (MIGRATION_ALLOWED_DESTINATIONS: a redirecting
//   proxy in front of the destination; MIGRATION_ALLOWED_CALLBACKS: one receiver), which are
//   allowed although 127.0.0.1 is denied; any other origin is refused;
// - the "destination", with no allow-list, refuses 169.254.169.254 and 127.0.0.1 as a baseURL and
//   a callbackUrl, before anything is sent.
// Every address the requests could reach is a counting server on 127.0.0.1.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { VERSIONS, startPair } from '../../scripts/lib/directus.mjs';
import { createSampleSchema, SAMPLE_COLLECTION_NAMES } from '../../scripts/lib/sample-schema.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { seedSampleFiles } from '../../scripts/lib/sample-files.mjs';
import { migrationCall } from './support.mjs';

const DIRECTUS_DEFAULT = '0.0.0.0,169.254.169.254';

/** A server on 127.0.0.1 that answers every request with `handle` (default 200 `{}`) and counts them. */
async function listen(handle = (req, res) => res.end('{}')) {
	const seen = [];
	const server = createServer((req, res) => {
		seen.push(`${req.method} ${req.url}`);
		handle(req, res);
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${server.address().port}`;
	return { url, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Forwards every request to `target()`, but answers `GET /assets/…` with a 302 to `elsewhere`. */
function redirectingProxy(target, elsewhere) {
	return (req, res) => {
		if (req.method === 'GET' && req.url.startsWith('/assets/')) {
			res.writeHead(302, { Location: `${elsewhere}/latest/meta-data${req.url}` });
			return res.end();
		}
		const upstream = new URL(target());
		const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (answer) => {
			res.writeHead(answer.statusCode, answer.headers);
			answer.pipe(res);
		});
		out.on('error', () => res.destroy());
		req.pipe(out);
	};
}

const waitFor = async (check, ms = 20_000) => {
	for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (check()) return;
	throw new Error('timed out');
};

for (const version of VERSIONS) {
	describe(`outbound requests on Directus ${version}`, () => {
		let pair, source, destination, internal, proxy, hook, otherHook, deniedTarget;
		const scope = { selectedTables: SAMPLE_COLLECTION_NAMES, transport: 'rest' };

		before(async () => {
			internal = await listen(); // an "internal" address a redirect points at
			let destinationUrl = null;
			proxy = await listen(redirectingProxy(() => destinationUrl, internal.url));
			hook = await listen();
			otherHook = await listen();
			deniedTarget = await listen(); // a baseURL on 127.0.0.1 that must never be asked
			pair = await startPair(version, {
				source: { env: { IMPORT_IP_DENY_LIST: DIRECTUS_DEFAULT, MIGRATION_ALLOWED_DESTINATIONS: proxy.url, MIGRATION_ALLOWED_CALLBACKS: hook.url } },
				// Unset (spawn leaves an undefined variable out): Directus gives its default to the extension.
				destination: { env: { IMPORT_IP_DENY_LIST: undefined } },
			});
			({ source, destination } = pair);
			destinationUrl = destination.url;
			await createSampleSchema(source);
			const { files } = await seedSampleFiles(source, { images: 2, documents: 1 });
			const covers = files.filter((f) => f.type === 'image/png').map((f) => f.id);
			const attachments = files.filter((f) => f.type !== 'image/png').map((f) => f.id);
			await seedSampleData(source, { articles: 10, covers, attachments });
			const target = { baseURL: proxy.url, token: destination.token };
			const sync = await migrationCall(source, 'schema-sync', target);
			assert.match(sync.lines.at(-1), /^Applied: /, sync.text.slice(-500));
			const run = await migrationCall(source, 'run', { ...target, scope }, { accept: 'application/json' });
			assert.equal(run.status, 200, run.text.slice(0, 800));
		});
		after(async () => {
			await pair?.stop();
			await Promise.all([internal, proxy, hook, otherHook, deniedTarget].map((s) => s?.close()));
		});

		test('an allowed destination on a denied address works (the allow-list names it), and verify never follows a redirect', async () => {
			const assetsBefore = proxy.seen.filter((r) => r.startsWith('GET /assets/')).length;
			const res = await migrationCall(source, 'verify', { baseURL: proxy.url, token: destination.token, scope });
			const asked = proxy.seen.filter((r) => r.startsWith('GET /assets/')).length - assetsBefore;
			assert.ok(asked >= 1, `the verification asked for the files through the proxy (${proxy.seen.length} requests)`);
			assert.deepEqual(internal.seen, [], 'the address the redirect points at received nothing');
			assert.match(JSON.stringify(res.body), /redirect/i, `the answer says why the files could not be checked: ${res.text.slice(0, 800)}`);
		});

		test('with an allow-list set, any other destination is refused, even one Directus would allow', async () => {
			const res = await migrationCall(source, 'check', { baseURL: destination.url, token: destination.token });
			assert.equal(res.status, 400, res.text);
			assert.equal(res.body.code, 'DESTINATION_NOT_ALLOWED');
		});

		test('the metadata address and this server are refused as a destination, before anything is sent', async () => {
			const token = source.token;
			for (const baseURL of ['http://169.254.169.254', deniedTarget.url, 'http://localhost:1']) {
				for (const route of ['check', 'schema-sync', 'dry-run', 'run', 'verify']) {
					const body = { baseURL, token, ...(route === 'schema-sync' || route === 'check' ? {} : { scope: { selectedTables: ['tags'] } }) };
					const res = await migrationCall(destination, route, body, { accept: 'application/json' });
					assert.equal(res.status, 400, `${route} ${baseURL}: ${res.text.slice(0, 300)}`);
					assert.equal(res.body.code, 'DESTINATION_DENIED', `${route} ${baseURL}`);
					assert.match(res.body.message, /IMPORT_IP_DENY_LIST/);
					assert.ok(!res.text.includes(token), 'the token is not echoed');
				}
			}
			const metadata = await migrationCall(destination, 'check', { baseURL: 'http://169.254.169.254', token });
			assert.match(metadata.body.message, /^baseURL http:\/\/169\.254\.169\.254 is refused: it resolves to 169\.254\.169\.254, and it is on IMPORT_IP_DENY_LIST; nothing was sent/);
			const local = await migrationCall(destination, 'check', { baseURL: deniedTarget.url, token });
			assert.match(local.body.message, /it is an address of this server \(IMPORT_IP_DENY_LIST has 0\.0\.0\.0\)/);
			assert.deepEqual(deniedTarget.seen, [], 'the denied destination received nothing');
		});

		test('a callbackUrl to a denied address is refused, and the allow-list allows the one it names', async () => {
			const target = { baseURL: proxy.url, token: destination.token };
			for (const callbackUrl of [`${otherHook.url}/hook`, 'http://169.254.169.254/latest/meta-data']) {
				// On the instance without an allow-list: denied by address.
				const denied = await migrationCall(destination, 'run', { baseURL: 'https://dest.example', token: 't', scope: { selectedTables: ['tags'] }, callbackUrl });
				assert.equal(denied.status, 400, denied.text);
				assert.equal(denied.body.code, 'CALLBACK_DENIED', denied.text);
				assert.match(denied.body.message, /^callbackUrl http:\/\/[\d.:]+ is refused: .*MIGRATION_ALLOWED_CALLBACKS/);
				// On the instance with one: not named there.
				const unnamed = await migrationCall(source, 'run', { ...target, scope: { selectedTables: ['tags'] }, callbackUrl });
				assert.equal(unnamed.status, 400, unnamed.text);
				assert.equal(unnamed.body.code, 'CALLBACK_NOT_ALLOWED', unnamed.text);
			}
			assert.deepEqual(otherHook.seen, [], 'the refused callback received nothing');
			const allowed = await migrationCall(source, 'dry-run', { ...target, scope: { selectedTables: ['tags'] }, callbackUrl: `${hook.url}/done` });
			assert.equal(allowed.status, 202, allowed.text);
			await waitFor(() => hook.seen.includes('POST /done'));
		});
	});
}
