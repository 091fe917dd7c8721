// The foundation on real Directus instances: the endpoint loads the WASM core, guards its
// routes, and the admin page is registered for admins only (tests/e2e/page.test.mjs uses it).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDirectus, VERSIONS, ADMIN } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { createEditor, enableModuleBar } from '../../scripts/lib/instance-setup.mjs';
import { launchBrowser, login } from '../../scripts/lib/browser.mjs';

for (const version of VERSIONS) {
	describe(`foundation on Directus ${version}`, () => {
		let source;
		let editor;

		before(async () => {
			source = await startDirectus({ version, name: 'source' });
			editor = await createEditor(source);
			await enableModuleBar(source);
		});
		after(() => source?.stop());

		test('GET /migration/test answers through the WASM core, for anyone', async () => {
			const res = await client(source.url).request('GET', '/migration/test');
			assert.equal(res.status, 200);
			assert.equal(res.body.message, 'Test endpoint working!');
			assert.match(res.body.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
			assert.ok(Math.abs(Date.parse(res.body.timestamp) - Date.now()) < 60_000, 'timestamp is now');
		});

		for (const [method, path] of [['POST', '/migration/check'], ['POST', '/migration/tables'], ['GET', '/migration/anything']]) {
			test(`${method} ${path} is refused to anonymous and non-admin callers with 403 JSON`, async () => {
				for (const token of [undefined, editor.token]) {
					const res = await client(source.url, token).request(method, path, method === 'POST' ? {} : undefined);
					assert.equal(res.status, 403, `token ${token ? 'editor' : 'none'}`);
					assert.match(res.headers.get('content-type'), /application\/json/);
					assert.equal(res.body.errors[0].extensions.code, 'FORBIDDEN');
					assert.match(res.body.errors[0].message, /administrators/);
					// One error shape for every route: Directus' own, with the fields Flows read.
					assert.deepEqual([res.body.status, res.body.icon, res.body.code], ['danger', 'error', 'FORBIDDEN']);
					assert.equal(res.body.message, res.body.errors[0].message);
				}
			});
		}

		test('an admin gets past the guard (an unknown route is a 404, not a 403)', async () => {
			const res = await client(source.url, source.token).request('GET', '/migration/anything');
			assert.equal(res.status, 404);
			assert.equal(res.body.errors[0].extensions.code, 'ROUTE_NOT_FOUND');
			assert.equal(res.body.code, 'ROUTE_NOT_FOUND');
		});

		test('the bundle registers the endpoint and the module, enabled', async () => {
			const extensions = await client(source.url, source.token).get('/extensions');
			const bundle = extensions.find((e) => e.schema?.name === 'directus-extension-table-migration');
			assert.ok(bundle, 'bundle installed');
			const entries = extensions.filter((e) => e.bundle === bundle.id).map((e) => `${e.schema.type}:${e.schema.name}:${e.meta.enabled}`);
			assert.deepEqual(entries.sort(), ['endpoint:migration:true', 'module:table-migration:true']);
		});

		test('the admin page loads, and sits in the module bar, for admins only', async () => {
			const browser = await launchBrowser();
			try {
				const adminPage = await login(browser, source, ADMIN);
				await adminPage.goto(`${source.url}/admin/table-migration`);
				await adminPage.getByLabel('Destination URL').waitFor({ timeout: 30_000 });
				assert.equal(await adminPage.locator('.module-bar a[href="/admin/table-migration"]').count(), 1);

				const editorPage = await login(browser, source, editor);
				await editorPage.goto(`${source.url}/admin/table-migration`);
				await editorPage.waitForLoadState('networkidle');
				assert.equal(await editorPage.getByLabel('Destination URL').count(), 0);
				assert.equal(await editorPage.locator('.module-bar a[href="/admin/table-migration"]').count(), 0);
				assert.ok(await editorPage.locator('.module-bar').count(), 'the editor sees the app');
			} finally {
				await browser.close();
			}
		});
	});
}
