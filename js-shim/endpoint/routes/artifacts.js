// @ts-check
// GET /migration/artifacts/:fileId — a run's artifact, opened (admins only, like every route but
// /test). The file must be in a run's folder of the library's top folder "Migrations" and sealed
// (host/seal.js). Its bytes are read twice from the storage: once to authenticate every record, so
// that a tampered, truncated or foreign file is refused before anything is sent, then again to
// stream the plaintext (checked again record by record: a file changed in between is cut off).
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { route } from '../errors.js';
import { assertCanSeal, opener } from '../host/seal.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOP_FOLDER = 'Migrations';

function answer(code, status, message) {
	return Object.assign(new Error(message), { name: 'MigrationError', code, status });
}

/** The file's row when it is a run's artifact, or why it is not. */
async function artifactRow({ services, database, getSchema }, accountability, id) {
	if (!UUID.test(id)) throw answer('INVALID_PAYLOAD', 400, `fileId must be the id (a UUID) of an artifact in the file library, not ${JSON.stringify(id.slice(0, 80))}`);
	const files = new services.FilesService({ schema: await getSchema({ database }), knex: database, accountability });
	const [row] = await files.readByQuery({
		filter: { id: { _eq: id } },
		fields: ['id', 'filename_download', 'folder.parent.name', 'folder.parent.parent'],
		limit: 1,
	});
	if (!row) throw answer('ARTIFACT_NOT_FOUND', 404, `no file ${id} in the file library`);
	const top = row.folder?.parent;
	if (top?.name !== TOP_FOLDER || top.parent != null) {
		throw answer('ARTIFACT_NOT_FOUND', 404, `the file ${id} is not a migration artifact: it is not in a run's folder in ${TOP_FOLDER}`);
	}
	return row;
}

/** The file's stored bytes, as a stream (Directus' own assets service: any storage driver). */
async function storedBytes({ services, database, getSchema }, accountability, id) {
	const assets = new services.AssetsService({ schema: await getSchema({ database }), knex: database, accountability });
	const { stream } = await assets.getAsset(id);
	return stream;
}

/** Read the whole sealed file, authenticating every record: its plaintext's length. */
async function authenticate(bytes, secret) {
	let size = 0;
	await pipeline(bytes, opener(secret, { onSize: (n) => (size = n) }), new Writable({ write: (_chunk, _encoding, done) => done() }));
	return size;
}

/** `attachment` with the artifact's name (ASCII fallback, and the exact name per RFC 6266). */
function disposition(name) {
	const ascii = String(name).replace(/[^\x20-\x7e]|["\\]/g, '_');
	return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function artifactRoute(context) {
	const { logger, env } = context;
	return route(logger, async (req, res) => {
		const id = String(req.params.fileId ?? '');
		const row = await artifactRow(context, req.accountability, id);
		const secret = env?.SECRET;
		assertCanSeal(secret);
		let size;
		try {
			size = await authenticate(await storedBytes(context, req.accountability, id), secret);
		} catch (error) {
			if (error?.code === 'ARTIFACT_NOT_SEALED') throw answer('ARTIFACT_NOT_FOUND', 404, `the file ${id} is not a migration artifact: ${error.message}`);
			throw error;
		}
		res.writeHead(200, {
			'Content-Type': 'application/json; charset=utf-8',
			'Content-Length': String(size),
			'Content-Disposition': disposition(row.filename_download),
			'Cache-Control': 'no-store',
		});
		try {
			await pipeline(await storedBytes(context, req.accountability, id), opener(secret), res);
		} catch (error) {
			logger.warn(`[table-migration] GET /migration/artifacts/${id}: cut off: ${error?.message ?? error}`);
			res.destroy();
		}
	});
}
