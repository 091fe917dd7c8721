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

/** Log into the Directus app and return the page, at the app's landing route. */
export async function login(browser, instance, { email, password }) {
	const page = await browser.newPage();
	await page.goto(`${instance.url}/admin/login`);
	await page.locator('input[type="email"]').fill(email);
	await page.locator('input[type="password"]').fill(password);
	await page.locator('button[type="submit"]').click();
	await page.waitForURL((url) => !url.pathname.startsWith('/admin/login'), { timeout: 30_000 });
	return page;
}
