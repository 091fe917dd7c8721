// A node:test reporter that prints, once every file has run, the ten test files that took longest
// (the sum of their top-level suites and tests), so the slow ones are seen where CI time goes.
// npm test uses it beside the spec reporter: --test-reporter=./scripts/lib/slowest-reporter.mjs.
import path from 'node:path';

const SHOWN = 10;

export default async function* slowest(source) {
	const byFile = new Map();
	for await (const event of source) {
		if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
		const { nesting, file, details } = event.data;
		if (nesting !== 0 || !file) continue;
		const entry = byFile.get(file) ?? { ms: 0, failed: 0 };
		entry.ms += details?.duration_ms ?? 0;
		if (event.type === 'test:fail') entry.failed += 1;
		byFile.set(file, entry);
	}
	const ranked = [...byFile].sort((a, b) => b[1].ms - a[1].ms);
	const total = ranked.reduce((sum, [, { ms }]) => sum + ms, 0);
	yield `\nslowest test files (of ${ranked.length}, ${seconds(total)} in all):\n`;
	for (const [file, { ms, failed }] of ranked.slice(0, SHOWN)) {
		const note = failed ? `  (${failed} failed)` : '';
		yield `  ${seconds(ms).padStart(8)}  ${path.relative(process.cwd(), file)}${note}\n`;
	}
}

function seconds(ms) {
	return `${(ms / 1000).toFixed(1)} s`;
}
