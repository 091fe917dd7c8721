// The benchmark's source data: the sample schema (scripts/lib/sample-schema.mjs) filled straight
// into the source's database (SQLite, PostgreSQL or MariaDB), in Directus' storage format, so that
// 100,000 rows take seconds instead of minutes; plus real files uploaded through the API.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CACHE } from '../scripts/lib/directus.mjs';
import { client } from '../scripts/lib/api.mjs';
import { createSampleSchema } from '../scripts/lib/sample-schema.mjs';
import { seedSampleFiles } from '../scripts/lib/sample-files.mjs';

/** A small deterministic generator (the benchmark needs speed and repeatability, not variety). */
function random(seed) {
	let state = seed >>> 0;
	const next = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
	return { next, int: (n) => Math.floor(next() * n), pick: (list) => list[Math.floor(next() * list.length)] };
}

const words = ['alpha', 'beta', 'gamma', 'delta', 'Straße', 'データ', 'café', 'naïve', 'résumé', 'ünïcödé', 'عربى', 'rust', 'wasm'];
const sentence = (r, n) => Array.from({ length: n }, () => r.pick(words)).join(' ');
const uuid = (r) => 'xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx'.replace(/x/g, () => r.int(16).toString(16));

/**
 * SQLite keeps timestamps as epoch milliseconds and dates as numbers too; PostgreSQL and MariaDB
 * take Date objects for timestamps and 'YYYY-MM-DD' for dates (their drivers bind the rest as is).
 */
function toServerFormat(data) {
	const timestamps = ['date_created', 'date_updated', 'published_at'];
	const dates = ['born', 'publish_date'];
	for (const rows of Object.values(data)) {
		for (const row of rows) {
			for (const field of timestamps) if (typeof row[field] === 'number') row[field] = new Date(row[field]);
			for (const field of dates) if (typeof row[field] === 'number') row[field] = new Date(row[field]).toISOString().slice(0, 10);
		}
	}
}

/**
 * Create the schema through the API, upload `files` files, then write about `rows` rows into the
 * database directly (and `tree` categories, when given). Returns the row count per collection.
 */
export async function seedBenchmark(source, { rows = 100_000, files = 200, largeMegabytes = [50], version, tree = 0 }) {
	await createSampleSchema(source);
	const images = Math.round(files * 0.7);
	const documents = files - images - largeMegabytes.length;
	const seeded = await seedSampleFiles(source, { images, documents, largeMegabytes });
	const imageIds = seeded.files.filter((f) => f.type === 'image/png').map((f) => f.id);
	const otherIds = seeded.files.filter((f) => f.type !== 'image/png').map((f) => f.id);
	const admin = await client(source.url, source.token).get('/users/me?fields=id');

	const r = random(7);
	const articleCount = Math.round(rows * 0.24);
	const authorCount = Math.max(5, Math.round(rows * 0.012));
	// `tree`: that many categories instead, a self-referencing tree whose every parent the run
	// holds back for its second pass (the million-row case).
	const categoryCount = tree > 0 ? tree : Math.max(7, Math.round(rows * 0.0096));
	const now = Date.now();

	const data = {};
	data.languages = [
		{ code: 'en-US', name: 'English', direction: 'ltr' },
		{ code: 'de-DE', name: 'Deutsch', direction: 'ltr' },
		{ code: 'ja-JP', name: '日本語', direction: 'ltr' },
		{ code: 'ar-SA', name: 'العربية', direction: 'rtl' },
	];
	data.authors = Array.from({ length: authorCount }, (_, i) => ({
		id: uuid(r),
		name: `Author ${i} ${r.pick(words)}`,
		email: `author${i}@example.com`,
		bio: i % 5 ? sentence(r, 30) : null,
		born: Date.UTC(1950 + r.int(50), r.int(12), 1 + r.int(28)),
		active: r.int(2),
		rating: i % 4 ? Math.round(r.next() * 9999) / 100 : null,
		profile: i % 3 ? JSON.stringify({ languages: ['en', r.pick(['de', 'ja'])], score: r.int(100), emoji: '🦀' }) : null,
		favorite_article: null,
		date_created: now - r.int(1e10),
		date_updated: null,
		user_created: admin.id,
	}));
	// A tree over a random permutation: parents often have larger ids than their children.
	const order = Array.from({ length: categoryCount }, (_, i) => i + 1).sort(() => r.next() - 0.5);
	const parentOf = new Map(order.slice(1).map((id, k) => [id, order[r.int(k + 1)]]));
	data.categories = Array.from({ length: categoryCount }, (_, i) => ({ id: i + 1, name: `Category ${i}`, sort: i, parent: parentOf.get(i + 1) ?? null }));
	data.tags = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, name: `tag-${i}` }));
	data.articles = Array.from({ length: articleCount }, (_, i) => ({
		id: i + 1,
		title: `${sentence(r, 6)} ${i}`,
		slug: `article-${i}`,
		body: i % 10 ? sentence(r, 120) : null,
		status: r.pick(['draft', 'published', 'archived']),
		published_at: i % 4 ? now - r.int(1e11) : null,
		publish_date: i % 4 ? Date.UTC(2020 + r.int(6), r.int(12), 1 + r.int(28)) : null,
		reading_time: `00:${String(1 + r.int(58)).padStart(2, '0')}:00`,
		word_count: i % 6 ? r.int(5000) : null,
		views: r.int(2 ** 40),
		score: i % 7 ? Math.round(r.next() * 2e6) / 1000 - 1000 : null,
		price: i % 5 ? Math.round(r.next() * 1e7) / 100 : null,
		featured: r.int(2),
		keywords: i % 3 ? [r.pick(words), r.pick(words)].join(',') : null,
		extra: i % 2 ? JSON.stringify({ flags: [true, null], ratio: r.next(), note: 'ünïcödé ✓ 漢字' }) : null,
		author: i % 20 ? data.authors[r.int(authorCount)].id : null,
		category: i % 10 ? 1 + r.int(categoryCount) : null,
		cover: i % 3 === 0 && imageIds.length ? imageIds[(i / 3) % imageIds.length] : null,
		date_created: now - r.int(1e10),
		date_updated: i % 4 ? null : now - r.int(1e9),
	}));
	// Close the authors ↔ articles cycle for half of the authors.
	for (const author of data.authors) if (r.int(2)) author.favorite_article = 1 + r.int(articleCount);
	data.articles_tags = [];
	data.articles_translations = [];
	data.articles_files = [];
	for (const article of data.articles) {
		for (let k = r.int(4); k > 0; k--) data.articles_tags.push({ articles_id: article.id, tags_id: 1 + r.int(30) });
		for (const language of data.languages.slice(0, 1 + r.int(2))) {
			data.articles_translations.push({ articles_id: article.id, languages_code: language.code, title: sentence(r, 5), summary: r.int(3) ? sentence(r, 20) : null });
		}
		if (article.id % 4 === 0 && otherIds.length) data.articles_files.push({ articles_id: article.id, directus_files_id: otherIds[(article.id / 4) % otherIds.length] });
	}
	data.site_settings = [{ id: 1, site_name: 'Benchmark', maintenance: 0, theme: JSON.stringify({ dark: true }), default_language: 'en-US' }];

	// Straight into the database, with foreign keys checked at commit (SQLite) or not checked
	// (PostgreSQL and MariaDB: the data is consistent, and parents do not always come first).
	if (source.db !== 'sqlite') toServerFormat(data);
	const require = createRequire(join(CACHE, `directus-${version}`, 'node_modules/@directus/api/package.json'));
	const knex = require('knex')(source.knexConfig);
	try {
		await knex.transaction(async (trx) => {
			if (source.db === 'sqlite') await trx.raw('PRAGMA defer_foreign_keys = ON');
			if (source.db === 'postgres') await trx.raw('SET LOCAL session_replication_role = replica');
			if (source.db === 'mysql') await trx.raw('SET FOREIGN_KEY_CHECKS = 0');
			for (const [collection, list] of Object.entries(data)) {
				// Rows in a few columns go in larger statements (SQLite: at most 500 per compound insert).
				const step = source.db === 'sqlite' ? 500 : Math.max(500, Math.floor(20_000 / Object.keys(list[0] ?? {}).length));
				for (let i = 0; i < list.length; i += step) await trx(collection).insert(list.slice(i, i + step));
			}
			if (source.db === 'mysql') await trx.raw('SET FOREIGN_KEY_CHECKS = 1');
		});
	} finally {
		await knex.destroy();
	}
	const counts = Object.fromEntries(Object.entries(data).map(([c, list]) => [c, list.length]));
	counts.files = seeded.files.length;
	return { counts, files: seeded.files };
}
