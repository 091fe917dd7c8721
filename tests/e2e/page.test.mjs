// The admin page /admin/table-migration in Debian's Chromium, as an admin uses it: destination,
// schema sync, tables, options, a dry run and a migration with live progress, then what the
// destination holds, where the token went (nowhere), and who gets the page (admins only).
// Screenshots of every step land in tests/e2e/output/screenshots/<version>/ (git-ignored).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSIONS, ADMIN } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { createEditor, enableModuleBar } from '../../scripts/lib/instance-setup.mjs';
import { seedSampleData } from '../../scripts/lib/sample-data.mjs';
import { launchBrowser, login, dismissAppDialogs, skipLicencePrompts } from '../../scripts/lib/browser.mjs';
import { startSamplePair } from './support.mjs';
import { delay, startFaultProxy } from './fault-proxy.mjs';

const OUTPUT = join(dirname(fileURLToPath(import.meta.url)), 'output', 'screenshots');
const VIEWPORT = { width: 1280, height: 800 };
const WAIT = { timeout: 60_000 };

async function rowsOf(url, token, collection) {
	const data = await client(url, token).get(`/items/${collection}?limit=-1&sort=id&fields=*`);
	return Array.isArray(data) ? data : [data];
}

async function countOf(url, token, collection) {
	const data = await client(url, token).get(`/items/${collection}?aggregate[count]=*`);
	return Number(data[0].count);
}

for (const version of VERSIONS) {
	describe(`admin page on Directus ${version}`, () => {
		let pair, source, destination, editor, counts;
		/** The slow destination of the long run, and the run's job. */
		let proxy = null;
		let processId = null;
		let browser, context, page;
		/** The destination's admin token: distinct from every other token, so any leak is found. */
		const token = `dest-token-${randomBytes(12).toString('hex')}`;
		const requests = [];
		const jobCalls = [];
		const consoleLines = [];
		const shots = join(OUTPUT, version);
		let shotNumber = 0;

		const region = (name) => page.getByRole('region', { name });
		const notice = (scope) => scope.locator('.v-notice');
		async function shot(name, target = page) {
			const path = join(shots, `${String(++shotNumber).padStart(2, '0')}-${name}.png`);
			await target.screenshot({ path });
			return path;
		}
		/** Scroll `locator` to the top of the view, below the app's header (which covers the content's top). */
		async function show(locator) {
			await locator.evaluate((el) => {
				el.scrollIntoView({ block: 'start' });
				let box = el.parentElement;
				while (box && !(box.scrollHeight > box.clientHeight && /auto|scroll/.test(getComputedStyle(box).overflowY))) box = box.parentElement;
				box?.scrollBy(0, -72);
			});
			await locator.page().waitForTimeout(300);
		}
		async function checkedOf(locator) {
			return (await locator.getAttribute('aria-checked')) === 'true';
		}
		async function setChecked(locator, on) {
			if ((await checkedOf(locator)) !== on) await locator.click();
			assert.equal(await checkedOf(locator), on);
		}
		async function openPage(target = page) {
			await target.goto(`${source.url}/admin/table-migration`);
			await dismissAppDialogs(target);
			await target.getByLabel('Destination URL').waitFor(WAIT);
		}

		before(async () => {
			await rm(shots, { recursive: true, force: true });
			await mkdir(shots, { recursive: true });
			({ pair, source, destination } = await startSamplePair(version));
			counts = await seedSampleData(source, { articles: 1000 });
			editor = await createEditor(source);
			await enableModuleBar(source);
			const admin = client(destination.url, destination.token);
			await admin.patch('/users/me', { token });
			// Something only the destination has, for Mirror.
			await client(destination.url, token).post('/collections', {
				collection: 'legacy_notes',
				meta: { icon: 'note' },
				schema: {},
				fields: [
					{ field: 'id', type: 'integer', meta: { hidden: true }, schema: { is_primary_key: true, has_auto_increment: true } },
					{ field: 'note', type: 'string', meta: { interface: 'input' }, schema: {} },
				],
			});

			browser = await launchBrowser();
			context = await browser.newContext({ viewport: VIEWPORT });
			context.on('request', (request) => {
				requests.push(request.url());
				// The job routes' requests in full: they need the session only, never the token.
				if (request.url().includes('/migration/jobs')) {
					jobCalls.push(`${request.method()} ${request.url()}\n${JSON.stringify(request.headers())}\n${request.postData() ?? ''}`);
				}
			});
			context.on('console', (message) => consoleLines.push(message.text()));
			page = await login(context, source, ADMIN);
			await skipLicencePrompts(context, source); // after login, which clears them
		});
		after(async () => {
			await proxy?.close();
			await browser?.close();
			await pair?.stop();
		});

		test('the page shows the five steps, with labelled controls', async () => {
			await openPage();
			for (const name of ['Destination', 'Sync Schema', 'Tables', 'Options', 'Start Migration']) {
				assert.equal(await page.getByRole('heading', { name, exact: true }).count(), 1, name);
			}
			assert.equal(await page.getByLabel('Admin Token').getAttribute('type'), 'password');
			assert.equal(await page.getByRole('button', { name: 'Check', exact: true }).isDisabled(), true, 'Check waits for a URL and a token');
			assert.equal(await checkedOf(region('Sync Schema').getByRole('checkbox', { name: 'Dry Run' })), true, 'schema dry run is on by default');
			assert.equal(await page.getByRole('button', { name: 'Start Migration', exact: true }).isDisabled(), true);
			// Keyboard: the token follows the URL in the focus order.
			await page.getByLabel('Destination URL').focus();
			await page.keyboard.press('Tab');
			assert.equal(await page.evaluate(() => document.activeElement?.id), 'table-migration-admin-token');
			await shot('empty');
		});

		test('a wrong token shows the endpoint\'s error as a notice', async () => {
			await page.getByLabel('Destination URL').fill(destination.url);
			await page.getByLabel('Admin Token').fill('not-the-token');
			await page.getByRole('button', { name: 'Check', exact: true }).click();
			const danger = region('Destination').locator('.v-notice.danger');
			await danger.waitFor(WAIT);
			assert.match(await danger.innerText(), /token is not valid/i);
			assert.equal(await page.getByRole('button', { name: 'Sync Schema', exact: true }).isDisabled(), true);
			await shot('wrong-token');
		});

		test('Check: the destination is compatible, with versions, vendors and the bulk receiver', async () => {
			await page.getByLabel('Admin Token').fill(token);
			await page.getByLabel('Admin Token').press('Enter'); // Enter in the token field checks
			const success = region('Destination').locator('.v-notice.success');
			await success.waitFor(WAIT);
			const text = await success.innerText();
			assert.match(text, /compatible/);
			assert.match(text, new RegExp(`Source: Directus ${version.replace(/\./g, '\\.')} on sqlite`));
			assert.match(text, new RegExp(`Destination: Directus ${version.replace(/\./g, '\\.')} on sqlite`));
			assert.match(text, /Bulk receiver: yes/);
			assert.equal(await page.getByRole('button', { name: 'Sync Schema', exact: true }).isEnabled(), true);
			await shot('form');

			// Before the schema is synced the endpoint refuses a run: its message is the notice.
			const tags = region('Tables').getByRole('checkbox', { name: 'tags', exact: true });
			await setChecked(tags, true);
			const run = region('Start Migration');
			await run.getByRole('button', { name: 'Start Migration', exact: true }).click();
			const refused = run.locator('[data-outcome="error"]');
			await refused.waitFor(WAIT);
			assert.match(await refused.innerText(), /did not start[\s\S]*Schema differences detected\. Please run \/migration\/schema-sync first\./);
			await setChecked(tags, false);
		});

		test('Sync Schema: a dry run lists the changes and writes nothing; without Dry Run they are applied', async () => {
			const sync = region('Sync Schema');
			await sync.getByRole('button', { name: 'Sync Schema', exact: true }).click();
			const outcome = notice(sync).first();
			await outcome.waitFor(WAIT);
			assert.match(await outcome.innerText(), /not in sync/);
			const changes = sync.locator('table');
			assert.match(await changes.innerText(), /articles\s+create collection, create \d+ fields/);
			assert.match(await sync.innerText(), /Kept on the destination[\s\S]*collection legacy_notes/);
			assert.equal((await client(destination.url, token).request('GET', '/collections/articles')).status >= 400, true, 'dry run wrote nothing');
			await show(sync);
			await shot('schema-dry-run');

			await setChecked(sync.getByRole('checkbox', { name: 'Dry Run' }), false);
			await sync.getByRole('button', { name: 'Sync Schema', exact: true }).click();
			await sync.locator('.v-notice.success').first().waitFor(WAIT);
			assert.match(await notice(sync).first().innerText(), /applied|in sync/i);
			assert.equal((await client(destination.url, token).request('GET', '/collections/articles')).status, 200, 'applied');
			assert.equal((await client(destination.url, token).request('GET', '/collections/legacy_notes')).status, 200, 'kept');
			await shot('schema-applied');
		});

		test('Mirror asks in a dialog naming what it deletes; Cancel keeps it, confirming deletes it', async () => {
			const sync = region('Sync Schema');
			await setChecked(sync.getByRole('checkbox', { name: 'Mirror' }), true);
			await sync.getByRole('button', { name: 'Sync Schema', exact: true }).click();
			const dialog = page.getByRole('dialog', { name: 'Delete on the destination?' });
			await dialog.waitFor(WAIT);
			assert.match(await dialog.innerText(), /collection legacy_notes/);
			await shot('mirror-dialog');
			await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
			await dialog.waitFor({ state: 'hidden' });
			assert.equal((await client(destination.url, token).request('GET', '/collections/legacy_notes')).status, 200, 'still there');

			await sync.getByRole('button', { name: 'Sync Schema', exact: true }).click();
			await dialog.waitFor(WAIT);
			await dialog.getByRole('button', { name: 'Delete and Sync', exact: true }).click();
			await sync.locator('.v-notice.success').first().waitFor(WAIT);
			assert.notEqual((await client(destination.url, token).request('GET', '/collections/legacy_notes')).status, 200, 'deleted');
			await setChecked(sync.getByRole('checkbox', { name: 'Mirror' }), false);
		});

		test('Tables: every user table with its type and item count; filter, Select All, Deselect All', async () => {
			const tables = region('Tables');
			await show(tables);
			const rows = tables.locator('tbody tr');
			assert.equal(await rows.count(), 9);
			const settings = await tables.locator('tr', { has: page.getByRole('checkbox', { name: 'site_settings', exact: true }) }).innerText();
			assert.match(settings, /singleton\s+1/);
			const articles = await tables.locator('tr', { has: page.getByRole('checkbox', { name: 'articles', exact: true }) }).innerText();
			assert.match(articles, new RegExp(`regular\\s+${counts.articles.toLocaleString('en-US')}`));

			await page.getByLabel('Filter tables').fill('articles_');
			assert.equal(await rows.count(), 3);
			await tables.getByRole('button', { name: 'Select All', exact: true }).click();
			assert.match(await tables.innerText(), /3 of 9 selected/);
			await tables.getByRole('button', { name: 'Deselect All', exact: true }).click();
			assert.match(await tables.innerText(), /0 of 9 selected/);
			await page.getByLabel('Filter tables').fill('');
			assert.equal(await rows.count(), 9);

			for (const name of ['categories', 'tags']) await setChecked(tables.getByRole('checkbox', { name, exact: true }), true);
			assert.match(await tables.innerText(), /2 of 9 selected/);
			await shot('tables');
		});

		test('a dry run of two tables writes nothing; Start Migration moves their rows exactly', async () => {
			const options = region('Options');
			const run = region('Start Migration');
			await setChecked(options.getByRole('checkbox', { name: 'Dry Run' }), true);
			await run.getByRole('button', { name: 'Start Migration', exact: true }).click();
			const dryRun = run.locator('[data-outcome="summary"]');
			await dryRun.waitFor(WAIT);
			assert.equal(await dryRun.getAttribute('data-status'), 'completed', await dryRun.innerText());
			assert.match(await dryRun.innerText(), /Dry run completed/);
			for (const collection of ['categories', 'tags']) assert.equal(await countOf(destination.url, token, collection), 0, collection);
			await show(run);
			await shot('dry-run-summary');

			await setChecked(options.getByRole('checkbox', { name: 'Dry Run' }), false);
			await run.getByRole('button', { name: 'Start Migration', exact: true }).click();
			const summary = run.locator('[data-outcome="summary"]');
			await page.waitForFunction(() => document.querySelector('[data-outcome="summary"]')?.textContent.includes('Migration'), null, WAIT);
			assert.equal(await summary.getAttribute('data-status'), 'completed', await summary.innerText());
			assert.match(await summary.innerText(), /Migration completed/);
			const table = await run.locator('table').first().innerText();
			assert.match(table, new RegExp(`tags\\s+30\\s+30\\s+30\\s+0\\s+0`));
			assert.match(await run.locator('[data-stat="rows"]').innerText(), new RegExp(`^${counts.categories + counts.tags} of ${counts.categories + counts.tags}`));
			assert.match(await run.getByRole('log').innerText(), /Done tags/);
			// The summary's downloads open the artifacts' seal (the file library gives sealed bytes).
			const link = run.locator('[data-artifacts] a', { hasText: /^items_full_data_/ });
			const [saved] = await Promise.all([page.waitForEvent('download', WAIT), link.click()]);
			assert.match(saved.suggestedFilename(), /^items_full_data_.*\.json$/);
			const items = JSON.parse(await readFile(await saved.path(), 'utf8'));
			assert.equal(items.tags.length, counts.tags, 'the rows the run read, opened');
			await show(run);
			await shot('summary');

			for (const collection of ['categories', 'tags']) {
				assert.deepEqual(await rowsOf(destination.url, token, collection), await rowsOf(source.url, source.token, collection), collection);
			}
		});

		test('Past runs lists both runs, the newest first, with status, tables and row counts; Refresh asks again; a finished one opens its report', async () => {
			const past = region('Past runs');
			const items = past.locator('li[data-job]');
			const jobs = (await client(source.url, source.token).request('GET', '/migration/jobs')).body;
			const [migration, dryRun] = jobs; // newest first
			assert.deepEqual([migration.kind, dryRun.kind], ['run', 'dry-run']);
			// The panel asked again when the migration ended: the migration comes first, then the dry run.
			await page.waitForFunction((id) => document.querySelector('li[data-job]')?.dataset.job === id, migration.processId, WAIT);
			assert.deepEqual(await items.evaluateAll((els) => els.map((el) => el.dataset.job)), jobs.map((job) => job.processId));
			const moved = counts.categories + counts.tags;
			assert.deepEqual(migration.rows, { ...migration.rows, created: moved, skipped: 0, failed: 0 });
			for (const [i, job, kind] of [[0, migration, 'Migration'], [1, dryRun, 'Dry run']]) {
				const item = items.nth(i);
				const field = async (name) => (await item.locator(`[data-field="${name}"]`).innerText()).trim();
				assert.equal(await item.getAttribute('data-status'), 'completed');
				assert.equal(await field('status'), 'Completed');
				assert.equal(await field('kind'), kind);
				assert.equal(await field('destination'), new URL(destination.url).origin);
				assert.equal(await field('tables'), 'categories, tags');
				assert.equal(await item.locator('[data-count="created"]').innerText(), `${job.rows.created.toLocaleString('en-US')} ${i ? 'to create' : 'created'}`);
				assert.equal(await item.locator('[data-count="skipped"]').innerText(), `${job.rows.skipped} skipped`);
				assert.equal(await item.locator('[data-count="failed"]').innerText(), `${job.rows.failed} failed`);
				assert.match(await field('when'), /^(just now|\d+ minutes? ago)$/);
				assert.match(await item.locator('[data-field="when"]').getAttribute('title'), /^Started .+, ended .+/);
				// Who started it (issue 22's `startedBy`): the admin's name, asked once through /users/:id.
				if (job.startedBy) assert.equal(await field('by'), 'by Admin User');
				else assert.equal(await item.locator('[data-field="by"]').count(), 0);
				assert.equal(await item.locator('[data-field="resumed"]').count(), 0, 'never taken over');
			}
			const asked = requests.filter((url) => /\/users\/[^/?]+\?fields=/.test(url) && !url.includes('/users/me'));
			assert.ok(asked.length <= 1, `each starting user asked once: ${asked.join(', ')}`);

			const again = page.waitForResponse((response) => new URL(response.url()).pathname === '/migration/jobs' && response.request().method() === 'GET', WAIT);
			await past.getByRole('button', { name: 'Refresh', exact: true }).click();
			assert.equal((await again).status(), 200);

			// A finished run opens its report (GET /migration/jobs/:id), and closes again.
			const head = items.first().getByRole('button').first();
			assert.equal(await head.getAttribute('aria-expanded'), 'false');
			await head.click();
			const report = items.first().locator('[data-report] [data-outcome="summary"]');
			await report.waitFor(WAIT);
			assert.equal(await report.getAttribute('data-status'), 'completed');
			assert.match(await report.innerText(), /^Migration completed/);
			assert.equal(await head.getAttribute('aria-expanded'), 'true');
			assert.ok(requests.some((url) => new URL(url).pathname === `/migration/jobs/${migration.processId}`));
			await show(past);
			await shot('past-runs');
			await head.click();
			await items.first().locator('[data-report]').waitFor({ state: 'detached' });
		});

		test('Delete missing (under Merge): a dry run first, then a dialog naming the rows; Cancel deletes nothing, Delete and Migrate deletes exactly them', async () => {
			const theirs = client(destination.url, token);
			const own = await theirs.post('/items/tags', [{ id: 70_001, name: 'only on the destination 1' }, { id: 70_002, name: 'only on the destination 2' }]);
			const options = region('Options');
			const run = region('Start Migration');
			const choose = async (name) => {
				await options.locator('[data-field="mode"] .v-select').click();
				await page.getByRole('button', { name, exact: true }).or(page.getByRole('menuitem', { name, exact: true })).first().click();
			};
			assert.equal(await options.locator('[data-field="deleteMissing"]').count(), 0, 'only under Merge');
			await show(options);
			await choose('Merge');
			const deleteMissing = options.getByRole('checkbox', { name: 'Delete missing' });
			await setChecked(deleteMissing, true);

			const dialog = page.getByRole('dialog', { name: 'Delete rows on the destination?' });
			await run.getByRole('button', { name: 'Start Migration', exact: true }).click();
			await dialog.waitFor(WAIT);
			const listed = dialog.locator('[data-deletion="tags"]');
			assert.equal((await listed.innerText()).trim(), `2 row(s) of tags: ${own.map((t) => t.id).join(', ')}`);
			assert.equal(await dialog.locator('[data-deletion]').count(), 1, 'categories loses nothing');
			assert.equal(await run.locator('[data-outcome="summary"]').getAttribute('data-status'), 'completed', 'the dry run shows below');
			assert.match(await run.locator('table').first().innerText(), /To delete/);
			await shot('delete-missing-dialog');
			await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
			await dialog.waitFor({ state: 'hidden' });
			assert.equal(await countOf(destination.url, token, 'tags'), counts.tags + 2, 'nothing deleted');

			await run.getByRole('button', { name: 'Start Migration', exact: true }).click();
			await dialog.waitFor(WAIT);
			await dialog.getByRole('button', { name: 'Delete and Migrate', exact: true }).click();
			await page.waitForFunction(() => /^Migration/.test(document.querySelector('[data-outcome="summary"] .headline')?.textContent?.trim() ?? ''), null, WAIT);
			const summary = run.locator('[data-outcome="summary"]');
			assert.equal(await summary.getAttribute('data-status'), 'completed', await summary.innerText());
			assert.match(await run.locator('tr[data-collection="tags"]').innerText(), /\s2\s/);
			assert.match(await run.locator('table').first().innerText(), /Deleted/);
			for (const collection of ['categories', 'tags']) {
				assert.deepEqual(await rowsOf(destination.url, token, collection), await rowsOf(source.url, source.token, collection), collection);
			}
			// Past runs says it too (asked again when the run ended).
			const past = region('Past runs').locator('li[data-job]').first();
			await page.waitForFunction(() => /2 deleted/.test(document.querySelector('li[data-job] [data-count="deleted"]')?.textContent ?? ''), null, WAIT);
			assert.equal(await past.getAttribute('data-status'), 'completed');
			await show(options);
			await setChecked(deleteMissing, false);
			await choose('Add');
			await options.locator('[data-field="deleteMissing"]').waitFor({ state: 'detached' });
		});

		test('a long run through a slow destination: the planned total, a heartbeat while it is quiet, live progress; leaving the page and coming back, or reloading, finds the job', async () => {
			// A slow destination: each write answered 0.8 s late (five rows each), and after the first
			// 30 writes, those sent within 3 s held for 22 s: a quiet spell longer than the 15 s
			// after which the endpoint sends a heartbeat.
			proxy = await startFaultProxy(destination.url);
			proxy.rule({ name: 'quiet', method: 'POST', path: /^\/items\//, after: 30, forMs: 3000, action: delay(22_000) });
			proxy.rule({ name: 'slow', method: 'POST', path: /^\/items\//, action: delay(800) });
			await page.getByLabel('Destination URL').fill(proxy.url);
			await page.getByLabel('Admin Token').fill(token);
			await page.getByRole('button', { name: 'Check', exact: true }).click();
			await region('Destination').locator('.v-notice.success').waitFor(WAIT);

			const tables = region('Tables');
			await tables.getByRole('button', { name: 'Deselect All', exact: true }).click();
			for (const name of ['articles', 'articles_translations']) await setChecked(tables.getByRole('checkbox', { name, exact: true }), true);
			const options = region('Options');
			await options.getByRole('button', { name: /Advanced/ }).click();
			await page.getByLabel('Batch size').fill('5');
			// Mode: each choice says what it does (Add stays: the destination is empty anyway).
			const choose = async (field, name) => {
				await options.locator(`[data-field="${field}"] .v-select`).click();
				await page.getByRole('button', { name, exact: true }).or(page.getByRole('menuitem', { name, exact: true })).first().click();
			};
			const modeHint = options.locator('[data-hint="mode"]');
			assert.match(await modeHint.innerText(), /^Rows the destination has are left as they are/);
			await choose('mode', 'Merge');
			await page.waitForFunction(() => /take the source/.test(document.querySelector('[data-hint="mode"]')?.textContent ?? ''), null, WAIT);
			await choose('mode', 'Add');
			await page.waitForFunction(() => /left as they are/.test(document.querySelector('[data-hint="mode"]')?.textContent ?? ''), null, WAIT);
			await options.locator('[data-field="transport"] .v-select').click();
			await page.getByRole('button', { name: 'REST', exact: true }).or(page.getByRole('menuitem', { name: 'REST', exact: true })).first().click();

			const run = region('Start Migration');
			const planned = counts.articles + counts.articles_translations;
			await run.getByRole('button', { name: 'Start Migration', exact: true }).click();
			// The bar's total is the run's plan; every planned table shows from the start.
			const bar = run.getByRole('progressbar', { name: 'Rows done' });
			await page.waitForFunction((n) => document.querySelector('[role="progressbar"]')?.getAttribute('aria-valuemax') === String(n), planned, WAIT);
			assert.match(await run.locator('[data-stat="rows"]').innerText(), new RegExp(`^[\\d,]+ of ${planned.toLocaleString('en-US')}`));
			assert.match(await run.locator('tr[data-collection="articles_translations"]').innerText(), new RegExp(`${counts.articles_translations.toLocaleString('en-US')}\\s+0\\s+0`));
			processId = (await run.locator('.process').innerText()).trim();
			assert.match(processId, /^migration_\d{13}_[a-z0-9]{12}$/);
			// Past runs asks again once the run has its id: it comes first, running, followed above.
			await page.waitForFunction((id) => document.querySelector('li[data-job]')?.dataset.job === id, processId, WAIT);
			const listed = region('Past runs').locator(`li[data-job="${processId}"]`);
			assert.equal(await listed.getAttribute('data-status'), 'running');
			assert.match(await listed.innerText(), /Running[\s\S]*following/);

			// Rows move: counts, rate and time left.
			await page.waitForFunction(() => Number((document.querySelector('[data-stat="rows"]')?.textContent ?? '').split(' of ')[0].replace(/\D/g, '')) >= 80, null, WAIT);
			await page.waitForFunction(() => /\d/.test(document.querySelector('[data-stat="left"]')?.textContent ?? ''), null, WAIT);
			assert.equal(await run.getByRole('button', { name: 'Cancel', exact: true }).isVisible(), true);
			assert.match(await run.locator('[data-stat="elapsed"]').innerText(), /\d+ s/);
			assert.match(await run.locator('[data-stat="rate"]').innerText(), /^[1-9]/);
			assert.match(await run.getByRole('log').innerText(), /^Job migration_\d+_[a-z0-9]+ \(run\)$/m);
			await show(page.getByRole('heading', { name: 'Start Migration', exact: true }));
			await shot('progress');

			// The destination holds every write: the endpoint's heartbeat shows as "still working".
			const alive = run.locator('[data-heartbeat]');
			await alive.waitFor({ timeout: 45_000 });
			assert.match(await alive.innerText(), /^Still working: [\s\S]*row\(s\) read/);
			await page.waitForFunction(() => /no new progress for 1\d s/.test(document.querySelector('[data-heartbeat]')?.textContent ?? ''), null, WAIT);
			assert.equal(/Still working/.test(await run.getByRole('log').innerText()), false, 'a heartbeat is not a log line');
			await show(page.getByRole('heading', { name: 'Start Migration', exact: true }));
			await shot('heartbeat');
			// Rows move again: the indicator goes.
			const quiet = await run.locator('[data-stat="rows"]').innerText();
			await alive.waitFor({ state: 'hidden', timeout: 45_000 });
			await page.waitForFunction((text) => document.querySelector('[data-stat="rows"]')?.textContent !== text, quiet, WAIT);
			assert.equal(await bar.getAttribute('aria-valuemax'), String(planned));

			// Away to the content module and back: the page stopped reading the run's stream, and
			// finds the job again through the job routes.
			await page.locator('.module-bar a[href="/admin/content"]').click();
			await page.waitForURL(/\/admin\/content/);
			const seen = requests.length;
			const events = page.waitForResponse((response) => new URL(response.url()).pathname === `/migration/jobs/${processId}/events`, WAIT);
			await page.locator('.module-bar a[href="/admin/table-migration"]').click();
			assert.equal((await events).headers()['content-type'], 'application/x-ndjson; charset=utf-8');
			await run.getByRole('button', { name: 'Cancel', exact: true }).waitFor(WAIT);
			assert.equal(await page.getByLabel('Admin Token').inputValue(), '', 'the token went with the page');
			assert.equal(await page.getByLabel('Destination URL').inputValue(), proxy.url, 'the URL is remembered');
			const before = await run.locator('[data-stat="rows"]').innerText();
			await page.waitForFunction((text) => document.querySelector('[data-stat="rows"]')?.textContent !== text, before, WAIT);
			const since = requests.slice(seen).map((url) => new URL(url).pathname);
			assert.ok(since.includes('/migration/jobs'), since.join(', '));
			assert.ok(since.includes(`/migration/jobs/${processId}/events`), since.join(', '));
			assert.equal(since.includes('/migration/run'), false, 'no second run');
			assert.equal((await run.locator('.process').innerText()).trim(), processId);
			assert.match(await run.getByRole('log').innerText(), /^Job migration_\d+_[a-z0-9]+ \(run\)$/m, 'the log replayed from the job');
			await show(page.getByRole('heading', { name: 'Start Migration', exact: true }));
			await shot('back-on-the-page');

			// A reload forgets everything the tab knew: the job routes find the run again.
			const reloaded = page.waitForResponse((response) => new URL(response.url()).pathname === `/migration/jobs/${processId}/events`, WAIT);
			await page.reload();
			await dismissAppDialogs(page);
			await reloaded;
			await run.getByRole('button', { name: 'Cancel', exact: true }).waitFor(WAIT);
			assert.equal((await run.locator('.process').innerText()).trim(), processId);
			const again = await run.locator('[data-stat="rows"]').innerText();
			await page.waitForFunction((text) => document.querySelector('[data-stat="rows"]')?.textContent !== text, again, WAIT);
		});

		test('a second tab follows the same job; Cancel stops the run on the endpoint, and both tabs show it cancelled', async () => {
			const run = region('Start Migration');
			const other = await context.newPage(); // a second tab, signed in through the same session
			try {
				await other.goto(`${source.url}/admin/table-migration`);
				await dismissAppDialogs(other);
				const followed = other.getByRole('region', { name: 'Start Migration' });
				await followed.getByRole('button', { name: 'Cancel', exact: true }).waitFor(WAIT);
				assert.equal((await followed.locator('.process').innerText()).trim(), processId);
				// The same total: the second tab's bar may show its placeholder until the job's plan reaches it.
				const total = await run.getByRole('progressbar', { name: 'Rows done' }).getAttribute('aria-valuemax');
				const bar = followed.getByRole('progressbar', { name: 'Rows done' });
				for (const until = Date.now() + WAIT.timeout; (await bar.getAttribute('aria-valuemax')) !== total; await other.waitForTimeout(100)) {
					assert.ok(Date.now() < until, `the second tab's total stays ${await bar.getAttribute('aria-valuemax')}, not ${total}`);
				}
				assert.equal(await followed.getByRole('button', { name: 'Start Migration', exact: true }).isDisabled(), true, 'one migration at a time');
				// The same progress: the second tab catches up with the first and moves on with it.
				const readIn = (p) => p.evaluate(() => Number((document.querySelector('[data-stat="rows"]')?.textContent ?? '').split(' of ')[0].replace(/\D/g, '')));
				const first = await readIn(page);
				await other.waitForFunction((n) => Number((document.querySelector('[data-stat="rows"]')?.textContent ?? '').split(' of ')[0].replace(/\D/g, '')) > n, first, WAIT);
				// The counts can come from the job's counters before its replayed lines arrive: wait for them.
				await followed.getByRole('log').filter({ hasText: /Job migration_\d+_[a-z0-9]+ \(run\)/ }).waitFor(WAIT);
				assert.match(await followed.getByRole('log').innerText(), /^Job migration_\d+_[a-z0-9]+ \(run\)$/m);
				const secondTab = await other.evaluate(() => ({ local: Object.entries(localStorage).flat().join('\n'), session: Object.entries(sessionStorage).flat().join('\n') }));
				for (const [place, text] of Object.entries(secondTab)) assert.equal(text.includes(token), false, `the token is in the second tab's ${place}`);
				await show(other.getByRole('heading', { name: 'Start Migration', exact: true }));
				await shot('second-tab', other);

				// Cancel in the first tab: the endpoint stops the job, and both tabs end with its report.
				const cancelled = requests.length;
				await run.getByRole('button', { name: 'Cancel', exact: true }).click();
				const summary = run.locator('[data-outcome="summary"]');
				await summary.waitFor(WAIT);
				assert.equal(await summary.getAttribute('data-status'), 'cancelled', await summary.innerText());
				assert.match(await summary.innerText(), /Migration cancelled[\s\S]*What was written stays/);
				assert.ok(requests.slice(cancelled).some((url) => new URL(url).pathname === `/migration/jobs/${processId}/cancel`));
				assert.match(await run.getByRole('log').innerText(), /Cancelling: The job stops after the batches in flight/);
				assert.equal(await run.getByRole('button', { name: 'Cancel', exact: true }).count(), 0);
				assert.equal(await run.getByRole('button', { name: 'Start Migration', exact: true }).isEnabled(), false, 'needs the token again');
				const otherSummary = followed.locator('[data-outcome="summary"]');
				await otherSummary.waitFor(WAIT);
				assert.equal(await otherSummary.getAttribute('data-status'), 'cancelled');
				assert.equal(await otherSummary.innerText(), await summary.innerText(), 'the same report in both tabs');
				assert.equal(await followed.locator('table').first().innerText(), await run.locator('table').first().innerText(), 'the same counts in both tabs');
				// Past runs, asked again when the run ended, in both tabs: the cancelled run first.
				for (const tab of [page, other]) {
					await tab.waitForFunction((id) => document.querySelector(`li[data-job="${id}"]`)?.dataset.status === 'cancelled', processId, WAIT);
					assert.equal(await tab.locator('li[data-job]').first().getAttribute('data-job'), processId);
				}
				await show(page.getByRole('heading', { name: 'Start Migration', exact: true }));
				await shot('cancelled');

				// The run really stopped: the job says so, and the destination got part of the rows and no more.
				const { body: job } = await client(source.url, source.token).request('GET', `/migration/jobs/${processId}`);
				assert.equal(job.status, 'cancelled');
				assert.equal(job.report.status, 'cancelled');
				const arrived = async () => (await countOf(destination.url, token, 'articles')) + (await countOf(destination.url, token, 'articles_translations'));
				const landed = await arrived();
				assert.ok(landed > 0 && landed < counts.articles + counts.articles_translations, `${landed} row(s) arrived`);
				await page.waitForTimeout(3000);
				assert.equal(await arrived(), landed, 'nothing arrives after the cancel');
			} finally {
				await other.close();
				await proxy?.close();
				proxy = null;
			}
		});

		test('the token is only ever in memory: not in storage, cookies, IndexedDB, any URL, the job routes\' requests or the console', async () => {
			const stored = await page.evaluate(async () => ({
				local: Object.entries(localStorage).flat().join('\n'),
				session: Object.entries(sessionStorage).flat().join('\n'),
				indexedDB: (await indexedDB.databases?.())?.map((d) => d.name).join('\n') ?? '',
				url: location.href,
			}));
			assert.ok(stored.local.includes('http://127.0.0.1:'), 'the destination URL is remembered (storage is readable)');
			const cookies = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('\n');
			const places = { ...stored, cookies, requests: requests.join('\n'), jobRoutes: jobCalls.join('\n'), console: consoleLines.join('\n') };
			assert.ok(requests.some((url) => url.includes('/migration/run')), 'requests were recorded');
			for (const route of ['GET /migration/jobs', `GET /migration/jobs/${processId}`, `GET /migration/jobs/${processId}/events`, `POST /migration/jobs/${processId}/cancel`]) {
				assert.ok(jobCalls.some((call) => call.startsWith(`${route.split(' ')[0]} ${source.url}${route.split(' ')[1]}\n`)), `${route} was requested`);
			}
			for (const [place, text] of Object.entries(places)) {
				assert.equal(text.includes(token), false, `the token is in ${place}`);
				assert.equal(text.includes('not-the-token'), false, `the wrong token is in ${place}`);
			}
		});

		test('the theme\'s colours in the dark theme, and a narrow window', async () => {
			const lightness = () =>
				page.evaluate(() => {
					const [r, g, b] = getComputedStyle(document.querySelector('.step-title')).color.match(/\d+(\.\d+)?/g).map(Number);
					return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
				});
			assert.ok((await lightness()) < 0.5, 'dark text in the light theme');
			await client(source.url, source.token).patch('/users/me', { appearance: 'dark' });
			try {
				await openPage();
				await page.getByLabel('Destination URL').fill(destination.url);
				await page.getByLabel('Admin Token').fill(token);
				await page.getByRole('button', { name: 'Check', exact: true }).click();
				await region('Destination').locator('.v-notice.success').waitFor(WAIT);
				assert.ok((await lightness()) > 0.5, 'light text in the dark theme');
				await shot('dark');
				// Past runs in the dark theme: the status labels take its colours.
				const chip = page.locator('li[data-job] [data-field="status"]').first();
				await chip.waitFor(WAIT);
				const colours = await chip.evaluate((el) => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]);
				assert.notEqual(colours[0], colours[1], colours.join(' on '));
				await show(region('Past runs'));
				await shot('dark-past-runs');

				await page.setViewportSize({ width: 560, height: 900 });
				await page.waitForTimeout(500);
				for (const name of ['Check', 'Sync Schema', 'Select All', 'Start Migration', 'Refresh']) {
					const button = page.getByRole('button', { name, exact: true });
					await show(button);
					const box = await button.boundingBox();
					assert.ok(box && box.x >= 0 && box.x + box.width <= 560, `${name} fits the window`);
				}
				await show(page.getByRole('heading', { name: 'Destination', exact: true }));
				await shot('narrow');
				const item = page.locator('li[data-job]').first();
				await show(item);
				const box = await item.boundingBox();
				assert.ok(box && box.x >= 0 && box.x + box.width <= 560, 'a past run fits the window');
				await shot('narrow-past-runs');
			} finally {
				await page.setViewportSize(VIEWPORT);
				await client(source.url, source.token).patch('/users/me', { appearance: null });
			}
		});

		test('a user who is not an admin does not get the page', async () => {
			const other = await browser.newContext({ viewport: VIEWPORT });
			try {
				const editorPage = await login(other, source, editor);
				await editorPage.goto(`${source.url}/admin/table-migration`);
				await editorPage.waitForLoadState('networkidle');
				await editorPage.locator('.module-bar').waitFor(WAIT);
				assert.equal(await editorPage.getByLabel('Destination URL').count(), 0);
				assert.equal(await editorPage.locator('.module-bar a[href="/admin/table-migration"]').count(), 0);
				await shot('editor', editorPage);
			} finally {
				await other.close();
			}
		});
	});
}
