// The README's request, for real: its "A run over REST" curl call is read from README.md, sent
// as written (the placeholders filled in) to a source whose destination lacks the extension, and
// the answer must look as the README shows it — the same kinds of lines, the same notes, the
// closing line — and a second run must create nothing, as the README says. One version, on
// SQLite: the README shows one request, not a matrix.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startPair, ROOT, VERSIONS } from '../../scripts/lib/directus.mjs';
import { createSampleSchema } from '../../scripts/lib/sample-schema.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { seedSampleFiles } from '../../scripts/lib/sample-files.mjs';
import { migrationCall } from './support.mjs';

/** The README's section `heading`: its first ```sh block (the request) and ```text block (the answer). */
async function readmeExample(heading) {
	const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
	const start = readme.indexOf(`## ${heading}\n`);
	assert.ok(start >= 0, `README.md has a section "${heading}"`);
	const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
	const block = (lang) => section.match(new RegExp('```' + lang + '\\n([\\s\\S]*?)```'))?.[1];
	const request = block('sh');
	const answer = block('text');
	assert.ok(request && answer, 'the section shows a request and its answer');
	const url = request.match(/curl[^\n]*?(https?:\/\/\S+)/)[1];
	const body = request.match(/-d '([\s\S]*?)'/)[1];
	return { path: new URL(url).pathname, body: JSON.parse(body), answer: answer.trim().split('\n') };
}

describe('the README\'s run over REST', () => {
	let pair, source, destination, example;

	before(async () => {
		example = await readmeExample('A run over REST');
		// The destination without the extension: the README's run goes over REST.
		pair = await startPair(VERSIONS[0], { destination: { extension: false } });
		({ source, destination } = pair);
		// Seeded as `npm run demo` seeds it, whose run the README shows.
		await createSampleSchema(source);
		const { files } = await seedSampleFiles(source, { images: 8, documents: 4 });
		const covers = files.filter((f) => f.type === 'image/png').slice(0, 6).map((f) => f.id);
		const attachments = files.filter((f) => f.type !== 'image/png').slice(0, 3).map((f) => f.id);
		await seedSampleData(source, { articles: 300, covers, attachments });
	});
	after(() => pair?.stop());

	test('answers as the README shows, and a second run creates nothing', async () => {
		assert.equal(example.path, '/migration/run');
		assert.equal(example.body.baseURL, 'https://dest.example');
		const body = { ...example.body, baseURL: destination.url, token: destination.token };
		const sync = await migrationCall(source, 'schema-sync', { baseURL: destination.url, token: destination.token });
		assert.match(sync.lines.at(-1), /^Applied: /);

		const res = await fetch(`${source.url}${example.path}`, {
			method: 'POST',
			headers: { Authorization: `Bearer ${source.token}`, 'Content-Type': 'application/json', Accept: '*/*' },
			body: JSON.stringify(body),
		});
		assert.equal(res.status, 200);
		assert.match(res.headers.get('content-type'), /^text\/plain/);
		const lines = (await res.text()).trim().split('\n');
		assert.match(res.headers.get('x-migration-process-id'), /^migration_/);

		// Each line the README shows has its counterpart, its numbers and names aside.
		const shape = (line) =>
			line
				.replace(/https?:\/\/\S+?(?=[ )]|$)/g, 'URL')
				.replace(/migration_\w+/g, 'ID')
				.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
				.replace(/\d+(\.\d+)?/g, 'N')
				.replace(/N(\.N)? (B|KB|MB)\b/g, 'SIZE');
		const ours = new Set(lines.map(shape));
		for (const line of example.answer.filter((l) => l !== '…' && !/^\s*…$/.test(l))) {
			assert.ok(ours.has(shape(line)), `the README's line\n  ${line}\nhas no counterpart in the answer:\n${lines.join('\n')}`);
		}
		// The notes are the plan's own words: the same, exactly.
		const notes = (all) => all.filter((l) => l.startsWith('Note: '));
		for (const note of notes(example.answer)) assert.ok(lines.includes(note), note);
		assert.match(lines.at(-1), /^Migration completed in [^:]*: (\d+) rows read, \1 created, 0 skipped .*, 0 failed\b/);

		const again = await migrationCall(source, 'run', body);
		assert.equal(again.status, 200);
		assert.match(again.lines.at(-1), /^Migration completed in .*: (\d+) rows read, 0 created, \1 skipped/);
	});
});
