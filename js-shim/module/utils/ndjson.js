// @ts-check
// NDJSON read from a byte stream: one JSON object per line, lines split across chunks kept whole.

/** Splits text chunks into lines, keeping a partial last line until the rest arrives. */
export function lineBuffer() {
	let rest = '';
	return {
		push(chunk) {
			rest += chunk;
			const lines = rest.split('\n');
			rest = lines.pop() ?? '';
			return lines.filter((line) => line.trim() !== '');
		},
		flush() {
			const last = rest.trim();
			rest = '';
			return last ? [last] : [];
		},
	};
}

/** Reads an NDJSON body to its end, calling `onEvent` with each parsed line. */
export async function readNdjson(body, onEvent) {
	const reader = body.getReader();
	const decoder = new TextDecoder();
	const buffer = lineBuffer();
	const deliver = (lines) => {
		for (const line of lines) {
			let event;
			try {
				event = JSON.parse(line);
			} catch {
				event = { type: 'step', message: line };
			}
			onEvent(event);
		}
	};
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		deliver(buffer.push(decoder.decode(value, { stream: true })));
	}
	deliver(buffer.push(decoder.decode()));
	deliver(buffer.flush());
}
