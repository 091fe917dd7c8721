// Realistic rows for the sample schema (sample-schema.mjs), deterministic for a given seed:
// unicode text, nulls, json, booleans, decimals, dates, a category tree whose children often have
// smaller ids than their parents, and the authors ↔ articles cycle.
import { Faker, de, ja, en, base } from '@faker-js/faker';
import { client } from './api.mjs';

const BATCH = 500;

async function insert(api, collection, rows) {
	const created = [];
	for (let i = 0; i < rows.length; i += BATCH) created.push(...(await api.post(`/items/${collection}?fields=*`, rows.slice(i, i + BATCH))));
	return created;
}

async function patchEach(api, collection, updates) {
	// Directus updates many items with one payload per request; group by value.
	const byValue = new Map();
	for (const { id, ...values } of updates) {
		const key = JSON.stringify(values);
		byValue.set(key, [...(byValue.get(key) ?? []), id]);
	}
	for (const [values, keys] of byValue) {
		for (let i = 0; i < keys.length; i += BATCH) await api.patch(`/items/${collection}`, { keys: keys.slice(i, i + BATCH), data: JSON.parse(values) });
	}
}

/**
 * Fill the sample schema. `articles` sets the scale: about 3.5 × that many rows in all. With
 * `covers` (file ids), every third article gets a cover; with `attachments`, every fourth one gets
 * an attachment (through articles_files).
 * @returns {Promise<Record<string, number>>} rows created per collection
 */
export async function seedSampleData(instance, { articles: articleCount = 200, seed = 42, covers = [], attachments = [] } = {}) {
	const api = client(instance.url, instance.token);
	const faker = new Faker({ locale: [en, base], seed });
	const fakerDe = new Faker({ locale: [de, en, base], seed: seed + 1 });
	const fakerJa = new Faker({ locale: [ja, en, base], seed: seed + 2 });
	const anyFaker = () => faker.helpers.arrayElement([faker, faker, fakerDe, fakerJa]);
	const maybe = (value, nullRate = 0.2) => (faker.number.float() < nullRate ? null : value);

	const languages = await insert(api, 'languages', [
		{ code: 'en-US', name: 'English', direction: 'ltr' },
		{ code: 'de-DE', name: 'Deutsch', direction: 'ltr' },
		{ code: 'ja-JP', name: '日本語', direction: 'ltr' },
		{ code: 'ar-SA', name: 'العربية', direction: 'rtl' },
	]);

	const authors = await insert(api, 'authors', Array.from({ length: Math.max(5, Math.ceil(articleCount / 20)) }, (_, i) => {
		const f = anyFaker();
		return {
			name: f.person.fullName(),
			email: `author${i}.${faker.internet.username().toLowerCase()}@example.com`,
			bio: maybe(f.lorem.paragraph()),
			born: maybe(faker.date.birthdate().toISOString().slice(0, 10)),
			active: faker.datatype.boolean(),
			rating: maybe(faker.number.float({ min: 0, max: 99.99, fractionDigits: 2 }).toFixed(2)),
			profile: maybe({ twitter: `@${faker.internet.username()}`, languages: faker.helpers.arrayElements(['en', 'de', 'ja', 'ar'], { min: 1, max: 3 }), nested: { score: faker.number.int(100), emoji: '🦀✨' } }),
		};
	}));

	// The tree: create every category first, then point each at a parent chosen over a random
	// permutation, so parents often have larger ids than their children.
	const categoryCount = Math.max(7, Math.ceil(articleCount / 25));
	const categories = await insert(api, 'categories', Array.from({ length: categoryCount }, (_, i) => ({ name: `${faker.commerce.department()} ${i}`, sort: i })));
	const order = faker.helpers.shuffle(categories.map((c) => c.id));
	await patchEach(api, 'categories', order.slice(1).map((id, k) => ({ id, parent: order[faker.number.int({ min: 0, max: k })] })));

	const tags = await insert(api, 'tags', Array.from({ length: 30 }, (_, i) => ({ name: `${faker.word.noun()}-${i}` })));

	const statuses = ['draft', 'published', 'archived'];
	const articles = await insert(api, 'articles', Array.from({ length: articleCount }, (_, i) => {
		const f = anyFaker();
		const published = faker.date.past({ years: 3 });
		return {
			title: f.lorem.sentence({ min: 3, max: 8 }),
			slug: `article-${i}-${faker.string.alphanumeric(6).toLowerCase()}`,
			body: maybe(f.lorem.paragraphs(faker.number.int({ min: 1, max: 4 })), 0.1),
			status: faker.helpers.arrayElement(statuses),
			published_at: maybe(published.toISOString().slice(0, 19)),
			publish_date: maybe(published.toISOString().slice(0, 10)),
			reading_time: maybe(`00:${String(faker.number.int({ min: 1, max: 59 })).padStart(2, '0')}:00`),
			word_count: maybe(faker.number.int({ min: 50, max: 5000 })),
			views: maybe(faker.number.int({ min: 0, max: 2 ** 40 })),
			score: maybe(faker.number.float({ min: -1000, max: 1000, fractionDigits: 3 })),
			price: maybe(faker.commerce.price({ min: 0, max: 99999 })),
			featured: faker.datatype.boolean(),
			keywords: maybe(faker.helpers.arrayElements(['rust', 'wasm', 'directus', 'データ', 'Straße', 'news'], { min: 1, max: 3 })),
			extra: maybe({ source: f.internet.url(), flags: [faker.datatype.boolean(), null], ratio: faker.number.float({ fractionDigits: 4 }), note: 'ünïcödé ✓ 漢字 عربى' }),
			author: maybe(faker.helpers.arrayElement(authors).id, 0.05),
			category: maybe(faker.helpers.arrayElement(categories).id, 0.1),
			cover: covers.length > 0 && i % 3 === 0 ? covers[(i / 3) % covers.length] : null,
		};
	}));
	const fileLinks = attachments.length === 0 ? [] : articles.filter((_, i) => i % 4 === 0).map((a, i) => ({ articles_id: a.id, directus_files_id: attachments[i % attachments.length] }));
	const articlesFiles = await insert(api, 'articles_files', fileLinks);

	const links = articles.flatMap((a) => faker.helpers.arrayElements(tags, { min: 0, max: 3 }).map((t) => ({ articles_id: a.id, tags_id: t.id })));
	const articlesTags = await insert(api, 'articles_tags', links);

	const translationRows = articles.flatMap((a) =>
		faker.helpers.arrayElements(languages, { min: 1, max: 2 }).map((l) => ({
			articles_id: a.id,
			languages_code: l.code,
			title: (l.code === 'ja-JP' ? fakerJa : l.code === 'de-DE' ? fakerDe : faker).lorem.sentence(),
			summary: maybe(faker.lorem.sentences(2)),
		})),
	);
	const translations = await insert(api, 'articles_translations', translationRows);

	// Close the cycle: half of the authors point at an article.
	const favorites = authors.filter(() => faker.datatype.boolean()).map((a) => ({ id: a.id, favorite_article: faker.helpers.arrayElement(articles).id }));
	for (const update of favorites) await api.patch(`/items/authors/${update.id}`, { favorite_article: update.favorite_article });

	await api.patch('/items/site_settings', { site_name: 'Sample Press — 日本語 & Deutsch', maintenance: false, theme: { primary: '#6644ff', dark: true }, default_language: 'en-US' });

	return {
		languages: languages.length,
		authors: authors.length,
		categories: categories.length,
		tags: tags.length,
		articles: articles.length,
		articles_tags: articlesTags.length,
		articles_files: articlesFiles.length,
		articles_translations: translations.length,
		site_settings: 1,
	};
}
