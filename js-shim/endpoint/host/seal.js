// @ts-check
// Artifacts sealed at rest, so that whoever may read `directus_files` (the Public policy of a site
// that serves images, an editor) gets bytes that say nothing. Node's own crypto, streamed:
//
//   header   "TMSEALED" | version 1 | salt (16) | nonce prefix (7) | key check (16)    48 bytes
//   records  AES-256-GCM of 64 KiB of plaintext each, tag (16) after each; the last is shorter
//
// - The key is HKDF-SHA256 of the instance's SECRET with the file's random salt (so a key per
//   file); the key check is 16 more bytes of the same HKDF output: a file sealed under another
//   SECRET is told apart from a damaged one without trying to decrypt it.
// - Record n's nonce is prefix | n (32 bits, big-endian) | 1 for the last record, 0 otherwise, and
//   the header is every record's additional data: a record moved, dropped, altered or cut, or a
//   header changed, fails authentication; a file cut at a record boundary lacks its last record.
// - A record is only let out once its tag is verified, so no unauthenticated byte is ever read.
// The key is never in an error, a log line or an answer.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Transform } from 'node:stream';

const MAGIC = Buffer.from('TMSEALED', 'ascii');
const VERSION = 1;
const SALT = 16;
const PREFIX = 7;
const CHECK = 16;
const TAG = 16;
/** Bytes before the first record. */
export const HEADER_BYTES = MAGIC.length + 1 + SALT + PREFIX + CHECK;
/** Plaintext bytes per record (the last one holds less, possibly none). */
export const RECORD = 64 * 1024;
const INFO = Buffer.from('directus-extension-table-migration artifact v1', 'ascii');

/** An error the endpoint answers with `status` and `code` (the shape of the core's errors). */
function sealError(code, status, message) {
	return Object.assign(new Error(message), { name: 'MigrationError', code, status });
}

/** Why artifacts cannot be sealed on an instance without SECRET (also the core's words). */
export const NO_SECRET =
	'SECRET is not set on this instance: the migration artifacts are sealed with a key derived from it, so none can be written or read. Set SECRET (and keep it), or send scope.artifacts: false';

function secretOf(secret) {
	const text = typeof secret === 'string' ? secret : '';
	if (text === '') throw sealError('SECRET_NOT_SET', 400, NO_SECRET);
	return text;
}

/** The file's key and key check, from SECRET and its salt (and the label of what it seals). */
function derive(secret, salt, info = INFO) {
	const bytes = Buffer.from(hkdfSync('sha256', secretOf(secret), salt, info, 32 + CHECK));
	return { key: bytes.subarray(0, 32), check: bytes.subarray(32) };
}

function nonce(prefix, counter, last) {
	if (counter > 0xffffffff) throw sealError('ARTIFACT_TOO_LARGE', 422, 'an artifact holds at most 2^32 records');
	const bytes = Buffer.alloc(12);
	prefix.copy(bytes, 0);
	bytes.writeUInt32BE(counter, PREFIX);
	bytes.writeUInt8(last ? 1 : 0, 11);
	return bytes;
}

/** Whether `bytes` (a file's first bytes) begin like a sealed artifact. */
export function looksSealed(bytes) {
	return bytes.length >= MAGIC.length && bytes.subarray(0, MAGIC.length).equals(MAGIC);
}

/** Throws unless `secret` can seal (checked before anything is written). */
export function assertCanSeal(secret) {
	secretOf(secret);
}

/** A stream that takes the plaintext (strings or bytes) and gives the sealed file. */
export function sealer(secret) {
	const salt = randomBytes(SALT);
	const prefix = randomBytes(PREFIX);
	const { key, check } = derive(secret, salt);
	const header = Buffer.concat([MAGIC, Buffer.of(VERSION), salt, prefix, check]);
	let counter = 0;
	let pending = Buffer.alloc(0);
	let started = false;
	const record = (plain, last) => {
		const cipher = createCipheriv('aes-256-gcm', key, nonce(prefix, counter, last), { authTagLength: TAG });
		counter += 1;
		cipher.setAAD(header);
		return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
	};
	const start = (stream) => {
		if (!started) stream.push(header);
		started = true;
	};
	return new Transform({
		transform(chunk, _encoding, done) {
			try {
				start(this);
				pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
				while (pending.length >= RECORD) {
					this.push(record(pending.subarray(0, RECORD), false));
					pending = pending.subarray(RECORD);
				}
				done();
			} catch (error) {
				done(error);
			}
		},
		flush(done) {
			try {
				start(this);
				this.push(record(pending, true));
				done();
			} catch (error) {
				done(error);
			}
		},
	});
}

/** The header of a sealed file: its key, or why it cannot be opened with `secret`. */
function openHeader(header, secret) {
	if (!looksSealed(header)) throw sealError('ARTIFACT_NOT_SEALED', 404, 'the file is not a sealed artifact (it does not begin with the seal\'s header)');
	const version = header.readUInt8(MAGIC.length);
	if (version !== VERSION) throw sealError('ARTIFACT_TAMPERED', 422, `the artifact's header names seal version ${version}, which this extension does not read (it reads ${VERSION})`);
	let at = MAGIC.length + 1;
	const salt = header.subarray(at, (at += SALT));
	const prefix = header.subarray(at, (at += PREFIX));
	const check = header.subarray(at, (at += CHECK));
	const derived = derive(secret, salt);
	if (!timingSafeEqual(derived.check, check)) {
		throw sealError('ARTIFACT_WRONG_KEY', 409, 'the artifact was sealed under another SECRET (the instance\'s SECRET changed since it was written, or its header was altered): it cannot be read');
	}
	return { key: derived.key, prefix };
}

function tampered(counter, detail) {
	return sealError('ARTIFACT_TAMPERED', 422, `the artifact fails authentication at record ${counter + 1} (${detail}): it was altered or truncated, so none of it is given out`);
}

/**
 * A stream that takes a sealed file and gives its plaintext, record by record, each only once it
 * is authenticated; it fails with `ARTIFACT_NOT_SEALED` (404), `ARTIFACT_WRONG_KEY` (409) or
 * `ARTIFACT_TAMPERED` (422). `onSize(bytes)` hears the plaintext's length at the end.
 * @param {string | undefined} secret
 * @param {{ onSize?: (bytes: number) => void }} [options]
 */
export function opener(secret, { onSize } = {}) {
	secretOf(secret);
	let pending = Buffer.alloc(0);
	let header = null;
	let opened = null;
	let counter = 0;
	let size = 0;
	const record = (sealed, last) => {
		const decipher = createDecipheriv('aes-256-gcm', opened.key, nonce(opened.prefix, counter, last), { authTagLength: TAG });
		decipher.setAAD(header);
		decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
		let plain;
		try {
			plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG)), decipher.final()]);
		} catch {
			throw tampered(counter, last ? 'the last record' : 'a record');
		}
		counter += 1;
		size += plain.length;
		return plain;
	};
	return new Transform({
		transform(chunk, _encoding, done) {
			try {
				pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
				if (!opened) {
					if (pending.length < HEADER_BYTES) return done();
					header = Buffer.from(pending.subarray(0, HEADER_BYTES));
					opened = openHeader(header, secret);
					pending = pending.subarray(HEADER_BYTES);
				}
				// A full-size record is never the last: the last one is always shorter.
				while (pending.length >= RECORD + TAG) {
					this.push(record(pending.subarray(0, RECORD + TAG), false));
					pending = pending.subarray(RECORD + TAG);
				}
				done();
			} catch (error) {
				done(error);
			}
		},
		flush(done) {
			try {
				if (!opened) {
					if (looksSealed(pending)) throw tampered(0, 'the header is cut short');
					throw sealError('ARTIFACT_NOT_SEALED', 404, 'the file is not a sealed artifact (it does not begin with the seal\'s header)');
				}
				if (pending.length < TAG) throw tampered(counter, 'the last record is missing');
				this.push(record(pending, true));
				onSize?.(size);
				done();
			} catch (error) {
				done(error);
			}
		},
	});
}

// A short text (a job's request) sealed whole, as base64 of
//   version 1 | salt (16) | nonce (12) | AES-256-GCM of the text | tag (16)
// under HKDF-SHA256 of SECRET with the salt and `info`, the label of what is sealed (so a key
// for one use never opens another's), the header as additional data.
const TEXT_VERSION = 1;
const TEXT_HEADER = 1 + SALT + 12;

/** `text` sealed under `secret` for `info`, as base64. */
export function sealText(secret, text, info) {
	const salt = randomBytes(SALT);
	const iv = randomBytes(12);
	const header = Buffer.concat([Buffer.of(TEXT_VERSION), salt, iv]);
	const cipher = createCipheriv('aes-256-gcm', derive(secret, salt, Buffer.from(info, 'utf8')).key, iv, { authTagLength: TAG });
	cipher.setAAD(header);
	return Buffer.concat([header, cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

/** The text `sealText` sealed, or null when it was sealed under another SECRET or `info`, or altered. */
export function openText(secret, sealed, info) {
	const bytes = Buffer.from(sealed, 'base64');
	if (bytes.length < TEXT_HEADER + TAG || bytes.readUInt8(0) !== TEXT_VERSION || bytes.toString('base64') !== sealed) return null;
	const header = bytes.subarray(0, TEXT_HEADER);
	const decipher = createDecipheriv('aes-256-gcm', derive(secret, bytes.subarray(1, 1 + SALT), Buffer.from(info, 'utf8')).key, bytes.subarray(1 + SALT, TEXT_HEADER), { authTagLength: TAG });
	decipher.setAAD(header);
	decipher.setAuthTag(bytes.subarray(bytes.length - TAG));
	try {
		return Buffer.concat([decipher.update(bytes.subarray(TEXT_HEADER, bytes.length - TAG)), decipher.final()]).toString('utf8');
	} catch {
		return null;
	}
}
