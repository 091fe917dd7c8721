// The destination's ceiling: the same rows pushed with plain batched POST /items by a minimal
// client — no planning, no existence checks, no files. References that need planning (a tree's
// parent, one side of a cycle) and references to files are left out. Only the POSTs are timed.
import { client } from '../scripts/lib/api.mjs';

const ORDER = ['languages', 'authors', 'categories', 'tags', 'articles', 'articles_files', 'articles_tags', 'articles_translations', 'site_settings'];
const LEFT_OUT = { authors: ['favorite_article'], categories: ['parent'], articles: ['cover'], articles_files: ['directus_files_id'] };
const BATCHES = [100, 250, 500, 1000];
const PROBE_ROWS = 1000;
const READ_PAGE = 2000;

async function realColumns(api, collection) {
	const fields = await api.get(`/fields/${collection}`);
	return fields.filter((f) => f.schema && f.type !== 'alias').map((f) => f.field);
}

/** Push every row of the sample collections from `source` to `destination`; returns rows and seconds. */
export async function measureCeiling(source, destination) {
	const from = client(source.url, source.token);
	const to = client(destination.url, destination.token);
	let rows = 0;
	let seconds = 0;
	const tables = {};
	const timed = async (collection, count, work) => {
		const started = performance.now();
		await work();
		const spent = (performance.now() - started) / 1000;
		seconds += spent;
		rows += count;
		tables[collection] = { rows: (tables[collection]?.rows ?? 0) + count, seconds: (tables[collection]?.seconds ?? 0) + spent };
	};

	// The best batch size is found on the largest plain table, when its turn comes (the tables
	// before it go in batches of 500); the probe's rows count like any other.
	const probeTable = 'articles_tags';
	const rates = {};
	let best = 500;
	for (const collection of ORDER) {
		const columns = (await realColumns(from, collection)).filter((c) => !(LEFT_OUT[collection] ?? []).includes(c));
		const key = collection === 'languages' ? 'code' : 'id';
		let list = [];
		if (collection === 'site_settings') {
			list = [await from.get(`/items/${collection}?fields=${columns.join(',')}`)];
		} else {
			// Read in pages (untimed), so the source never builds one huge answer.
			for (let page = 1; ; page++) {
				const rows = await from.get(`/items/${collection}?limit=${READ_PAGE}&page=${page}&sort=${key}&fields=${columns.join(',')}`);
				list.push(...rows);
				if (rows.length < READ_PAGE) break;
			}
		}
		if (collection === 'site_settings') {
			await timed(collection, 1, () => to.patch('/items/site_settings', list[0]));
			continue;
		}
		if (collection === probeTable) {
			for (const [i, batch] of BATCHES.entries()) {
				const slice = list.slice(i * PROBE_ROWS, (i + 1) * PROBE_ROWS);
				const started = performance.now();
				await timed(collection, slice.length, async () => {
					for (let k = 0; k < slice.length; k += batch) await to.post(`/items/${collection}?fields=id`, slice.slice(k, k + batch));
				});
				rates[batch] = slice.length / ((performance.now() - started) / 1000);
			}
			best = Number(Object.entries(rates).sort((a, b) => b[1] - a[1])[0][0]);
			list = list.slice(PROBE_ROWS * BATCHES.length);
		}
		await timed(collection, list.length, async () => {
			for (let k = 0; k < list.length; k += best) await to.post(`/items/${collection}?fields=id`, list.slice(k, k + best));
		});
	}
	return { rows, seconds, tables, batchSize: best, probeRates: rates };
}
