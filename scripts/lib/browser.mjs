// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for checks of the
// admin page as a person sees it.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser() {
	return chromium.launch({
		executablePath: CHROMIUM,
		args: [
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
		],
	});
}

/**
 * Log into the Directus app and return the page, at the app's landing route. `opener` is a
 * browser or a browser context (for a viewport, or to watch every request).
 */
export async function login(opener, instance, { email, password }) {
	const page = await opener.newPage();
	await page.goto(`${instance.url}/admin/login`);
	await page.locator('input[type="email"]').fill(email);
	await page.locator('input[type="password"]').fill(password);
	await page.locator('button[type="submit"]').click();
	await page.waitForURL((url) => !url.pathname.startsWith('/admin/login'), { timeout: 30_000 });
	return page;
}

/**
 * The cookies the app itself sets when an admin dismisses its licence prompts (11.17: "You have not
 * set a project owner"; 12.x: the licence onboarding, banner and login modal), so they do not
 * cover the page under test. Call after logging in (logging in clears some of them), then load
 * the page.
 */
export async function skipLicencePrompts(context, instance) {
	const names = ['license-banner-dismissed', 'license-onboarding-dismissed', 'license-login-modal-dismissed'];
	await context.addCookies(names.map((name) => ({ name, value: 'true', url: instance.url })));
}

/**
 * Close those prompts where they show anyway, with their own "later" buttons. Returns how many it
 * closed.
 */
export async function dismissAppDialogs(page, { waitMs = 1000 } = {}) {
	const later = page.getByRole('button', { name: /^(Remind Later|Skip)$/ });
	let closed = 0;
	for (let round = 0; round < 3; round++) {
		try {
			await later.first().waitFor({ state: 'visible', timeout: waitMs });
		} catch {
			break;
		}
		await later.first().click();
		await page.waitForTimeout(400);
		closed++;
	}
	return closed;
}
