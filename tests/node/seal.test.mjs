// The seal artifacts are stored under, in plain Node: what goes in comes out byte for byte (empty,
// one record, exactly a record, many records, split anywhere); the sealed bytes hold none of the
// plaintext; a file altered anywhere, cut short anywhere, grown, or sealed under another SECRET
// is refused with its own code, and nothing of a record is given out before it is authenticated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HEADER_BYTES, RECORD, looksSealed, opener, sealer } from '../../js-shim/endpoint/host/seal.js';

const SECRET = 'a-secret-of-this-instance-0f3b9c';

/** `pieces` (strings or buffers) through `transform`, collected. */
async function run(transform, pieces) {
	const out = [];
	await pipeline(Readable.from(pieces, { objectMode: false }), transform, new Writable({ write: (c, _e, done) => (out.push(c), done()) }));
	return Buffer.concat(out);
}

const seal = (pieces, secret = SECRET) => run(sealer(secret), pieces);
const open = (bytes, secret = SECRET, options) => run(opener(secret, options), chunked(bytes, 5000));

/** `bytes` in pieces of `size`, as a storage would stream them. */
function chunked(bytes, size) {
	const pieces = [];
	for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
	return pieces;
}

/** Rejects with `code`, giving out nothing. */
async function refused(bytes, code, secret = SECRET) {
	const given = [];
	const reading = pipeline(Readable.from(chunked(bytes, 7000)), opener(secret), new Writable({ write: (c, _e, done) => (given.push(c), done()) }));
	await assert.rejects(reading, (error) => error.code === code && error.name === 'MigrationError' && !error.message.includes(SECRET));
	return Buffer.concat(given);
}

const rows = (n) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ id: i, secret_value: `private-${i}`, text: 'ü日本'.repeat(i % 7) })));

test('what is sealed opens to the same bytes, at every size around the record boundaries', async () => {
	for (const size of [0, 1, RECORD - 1, RECORD, RECORD + 1, 3 * RECORD, 3 * RECORD + 17]) {
		const plain = Buffer.alloc(size, 'abcdefghij');
		const sealed = await seal(chunked(plain, 32 * 1024));
		assert.ok(looksSealed(sealed), `${size}: begins with the header`);
		assert.equal(sealed.length, HEADER_BYTES + plain.length + 16 * (Math.floor(size / RECORD) + 1), `${size}: header, data, one tag per record`);
		let heard = null;
		const opened = await open(sealed, SECRET, { onSize: (n) => (heard = n) });
		assert.ok(opened.equals(plain), `${size}: round trip`);
		assert.equal(heard, size);
	}
});

test('text written in pieces of any size comes back whole, and none of it is in the sealed bytes', async () => {
	const text = rows(5000);
	const pieces = [];
	for (let at = 0, step = 1; at < text.length; at += step, step = (step * 7) % 40_000 + 1) pieces.push(text.slice(at, at + step));
	const sealed = await seal(pieces);
	assert.equal((await open(sealed)).toString('utf8'), text);
	for (const needle of ['private-', 'secret_value', '"text":']) assert.ok(!sealed.includes(needle), `sealed bytes hold ${needle}`);
	const again = await seal([text]);
	assert.ok(!again.subarray(0, 64).equals(sealed.subarray(0, 64)), 'a new salt and nonce for every file');
});

test('a byte changed anywhere (header or any record) is refused, and no record after the header check is given out unverified', async () => {
	const plain = Buffer.from(rows(8000));
	const sealed = await seal([plain]);
	assert.ok(sealed.length > 3 * RECORD);
	const positions = [9, 20, 30, 40, HEADER_BYTES, HEADER_BYTES + 100, HEADER_BYTES + RECORD + 5, HEADER_BYTES + RECORD + 16 + 3, sealed.length - 1, sealed.length - 20];
	for (const at of positions) {
		const bad = Buffer.from(sealed);
		bad[at] ^= 0x01;
		// The salt and key check (bytes 9-24, 32-47) make the key check fail; anything else fails a tag.
		const code = (at >= 9 && at < 25) || (at >= 32 && at < HEADER_BYTES) ? 'ARTIFACT_WRONG_KEY' : 'ARTIFACT_TAMPERED';
		const given = await refused(bad, code);
		// Records before the altered one are authentic and may have been given; never the altered one.
		const record = Math.max(0, Math.floor((at - HEADER_BYTES) / (RECORD + 16)));
		assert.ok(given.length <= record * RECORD, `byte ${at}: ${given.length} bytes given out`);
		assert.ok(plain.subarray(0, given.length).equals(given), `byte ${at}: what was given is authentic`);
	}
	const version = Buffer.from(sealed);
	version[8] = 2;
	await refused(version, 'ARTIFACT_TAMPERED');
});

test('a file cut short anywhere, or grown, is refused', async () => {
	const sealed = await seal([rows(6000)]);
	const cuts = [1, 8, 20, HEADER_BYTES, HEADER_BYTES + 10, HEADER_BYTES + RECORD + 16, HEADER_BYTES + 2 * (RECORD + 16), sealed.length - 16, sealed.length - 1];
	for (const length of cuts) {
		const code = length < 8 ? 'ARTIFACT_NOT_SEALED' : 'ARTIFACT_TAMPERED';
		await refused(sealed.subarray(0, length), code);
	}
	await refused(Buffer.concat([sealed, Buffer.from('x')]), 'ARTIFACT_TAMPERED');
	// Records swapped: each record's number is in its nonce.
	const first = HEADER_BYTES;
	const swapped = Buffer.concat([sealed.subarray(0, first), sealed.subarray(first + RECORD + 16, first + 2 * (RECORD + 16)), sealed.subarray(first, first + RECORD + 16), sealed.subarray(first + 2 * (RECORD + 16))]);
	assert.equal(swapped.length, sealed.length);
	await refused(swapped, 'ARTIFACT_TAMPERED');
});

test('a file sealed under another SECRET is refused as such, and nothing seals or opens without one', async () => {
	const sealed = await seal([rows(100)]);
	const given = await refused(sealed, 'ARTIFACT_WRONG_KEY', 'another-secret-after-a-rotation');
	assert.equal(given.length, 0);
	await refused(Buffer.from('{"articles":[{"id":1}]}'), 'ARTIFACT_NOT_SEALED');
	for (const secret of [undefined, '', null]) {
		assert.throws(() => sealer(secret), (error) => error.code === 'SECRET_NOT_SET' && error.status === 400);
		assert.throws(() => opener(secret), (error) => error.code === 'SECRET_NOT_SET');
	}
});
