// The boundary's TypeScript is generated from the Rust types (tsify, see src/wasm/mod.rs): these
// tests read the built target/pkg/table_migration.d.ts against the Rust source, so an event the
// core emits, or one of its fields, can no longer be missing from what the shim is checked against.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ROOT } from '../../scripts/lib/directus.mjs';

const dts = readFileSync(`${ROOT}/target/pkg/table_migration.d.ts`, 'utf8');
const progress = readFileSync(`${ROOT}/src/runs/progress/mod.rs`, 'utf8');

const camel = (snake) => snake.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

/** The variants of `enum Event` in the Rust source: their serde tag and serialized field names. */
function rustEvents() {
	const start = progress.indexOf('pub enum Event {');
	assert.ok(start >= 0, 'src/runs/progress/mod.rs declares `pub enum Event`');
	const attrs = progress.slice(progress.lastIndexOf('#[derive', start), start);
	assert.match(attrs, /tag = "type", rename_all = "camelCase"/, 'Event is tagged by `type`, camelCase');
	const body = progress.slice(progress.indexOf('{', start) + 1);
	const variants = [];
	let depth = 0;
	let current = null;
	let fieldAttrs = '';
	for (const line of body.split('\n')) {
		const text = line.replace(/\/\/.*$/, '').trim();
		if (depth === 0) {
			if (text === '}') break;
			const variant = /^([A-Z][A-Za-z0-9]*)\b/.exec(text);
			if (variant) {
				current = { tag: variant[1][0].toLowerCase() + variant[1].slice(1), fields: [] };
				variants.push(current);
			}
		}
		if (depth >= 1 && current) {
			if (text.startsWith('#[')) fieldAttrs += text;
			const field = /^([a-z_][a-z0-9_]*)\s*:/.exec(text);
			if (field && depth === 1) {
				if (!/serde\(skip\)/.test(fieldAttrs)) current.fields.push(camel(field[1]));
				fieldAttrs = '';
			}
		}
		// Fields on the variant's own line: `Log { level: Level, message: String },`.
		if (depth === 0 && current && text.includes('{') && text.includes('}')) {
			const inner = text.slice(text.indexOf('{') + 1, text.lastIndexOf('}'));
			for (const part of inner.split(',')) {
				const field = /^\s*([a-z_][a-z0-9_]*)\s*:/.exec(part);
				if (field) current.fields.push(camel(field[1]));
			}
		}
		for (const c of text) depth += c === '{' ? 1 : c === '}' ? -1 : 0;
	}
	return variants;
}

/** The members of the generated `type Event = { type: "…"; … } | …`, by tag: their keys. */
function generatedEvents() {
	const match = /^export type Event = (.*);$/m.exec(dts);
	assert.ok(match, 'table_migration.d.ts declares `type Event`');
	const members = new Map();
	for (const member of match[1].matchAll(/\{ type: "([A-Za-z]+)"([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g)) {
		const keys = [...member[2].matchAll(/;\s*([A-Za-z]+)\??:/g)].map((m) => m[1]);
		members.set(member[1], keys);
	}
	return members;
}

test('every event the core emits is in the generated Event union, with its fields', () => {
	const rust = rustEvents();
	const generated = generatedEvents();
	// The ones issue 25 found missing from the hand-written type, so the parser is known to see them.
	for (const tag of ['pace', 'planned', 'job', 'started', 'summary', 'tableDone', 'checkpoint']) {
		assert.ok(rust.some((v) => v.tag === tag), `the Rust enum has ${tag}`);
	}
	assert.deepEqual([...generated.keys()].sort(), rust.map((v) => v.tag).sort(), 'the same event kinds');
	for (const { tag, fields } of rust) {
		assert.deepEqual(generated.get(tag).sort(), [...fields].sort(), `the fields of ${tag}`);
	}
	assert.ok(generated.get('tableDone').includes('stopped'));
	assert.ok(!generated.get('planned').includes('line'), '`#[serde(skip)]` fields are not declared');
});

test('the host hears events as MigrationEvent, the generated Event on the wire', () => {
	assert.match(dts, /emit\(event: MigrationEvent\): void;/);
	assert.match(dts, /export type MigrationEvent =\s*\| \(Exclude<Event, \{ type: "summary" \}> & \{ message: string; progress: boolean \}\)/);
	// No second, hand-written declaration of a type the Rust side generates.
	for (const name of ['PageRequest', 'KeysRequest', 'RowsWrite', 'TableShape', 'JobRow', 'RunReport', 'Event']) {
		const declared = dts.match(new RegExp(`^export (?:interface|type) ${name}\\b`, 'gm')) ?? [];
		assert.equal(declared.length, 1, `${name} is declared once`);
	}
});

test('every export of the core says what it returns', () => {
	const core = /^export class Core \{([\s\S]*?)^\}/m.exec(dts);
	assert.ok(core, 'table_migration.d.ts declares class Core');
	const methods = [...core[1].matchAll(/^\s{4}(?:static )?([a-zA-Z]+)\((.*)\): (.+);$/gm)];
	assert.ok(methods.length >= 20, `Core's methods are found (${methods.length})`);
	for (const [, name, params, returns] of methods) {
		assert.doesNotMatch(returns, /\bany\b|^Promise<unknown>$|^Promise$/, `${name} resolves to a declared type, not ${returns}`);
		assert.doesNotMatch(params, /\bany\b/, `${name}'s parameters are typed`);
	}
	assert.match(core[1], /run\(body: string\): Promise<RunReport>;/);
	assert.match(core[1], /constructor\(host: MigrationHost, settings: ExtensionSettings \| null \| undefined\);/);
});
