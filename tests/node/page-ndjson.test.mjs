// The admin page's NDJSON reader in plain Node: lines split across chunks (even inside a
// multi-byte character) arrive whole, blank lines are skipped, a last line without a newline
// counts, and a line that is not JSON is kept as a log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineBuffer, readNdjson } from '../../js-shim/module/utils/ndjson.js';

function body(chunks) {
	return new ReadableStream({
		start(controller) {
			for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
			controller.close();
		},
	});
}

test('a line buffer keeps partial lines until they end', () => {
	const buffer = lineBuffer();
	assert.deepEqual(buffer.push('{"a":1}\n{"b"'), ['{"a":1}']);
	assert.deepEqual(buffer.push(':2}\n\n{"c":3'), ['{"b":2}']);
	assert.deepEqual(buffer.flush(), ['{"c":3']);
	assert.deepEqual(buffer.flush(), []);
});

test('events arrive whole whatever the chunking, the last one without a newline too', async () => {
	const bytes = new TextEncoder().encode('{"type":"step","message":"Kept: collection notes – ü"}\nnot json\n\n{"type":"summary","status":"completed"}');
	const split = [bytes.slice(0, 7), bytes.slice(7, 49), bytes.slice(49, 50), bytes.slice(50)]; // 49|50 falls inside the dash's three bytes
	const events = [];
	await readNdjson(body(split), (event) => events.push(event));
	assert.deepEqual(events, [
		{ type: 'step', message: 'Kept: collection notes – ü' },
		{ type: 'step', message: 'not json' },
		{ type: 'summary', status: 'completed' },
	]);
});
