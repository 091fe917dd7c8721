// @ts-check
// Downloading a run's artifacts from the page, through GET /migration/artifacts/:id (admins only),
// which opens their seal: the file library's own download would give sealed bytes. The request
// goes through the app's own API instance (its session, refreshed as for every call); the file is
// then handed to the browser to save under its name.
import { ref } from 'vue';
import { useApi } from '@directus/extensions-sdk';
import { errorMessage } from '../utils/errors.js';

export function useArtifactDownload() {
	const api = useApi();
	const error = ref(/** @type {string | null} */ (null));

	/** The route's address for `id` (what the link points to). */
	function href(id) {
		const root = new URL(api.defaults.baseURL ?? '/', window.location.origin);
		return new URL(`migration/artifacts/${encodeURIComponent(id)}`, root).toString();
	}

	/** Fetch the artifact `{ id, name }` opened, and save it as `name`. */
	async function download(file) {
		error.value = null;
		try {
			const response = await api.get(`/migration/artifacts/${encodeURIComponent(file.id)}`, { responseType: 'blob' });
			const url = URL.createObjectURL(response.data);
			const link = Object.assign(document.createElement('a'), { href: url, download: file.name });
			document.body.append(link);
			link.click();
			link.remove();
			setTimeout(() => URL.revokeObjectURL(url), 60_000);
		} catch (failure) {
			// An error answer arrives as a Blob too: read its JSON for the message.
			const data = failure?.response?.data;
			const text = data instanceof Blob ? await data.text().catch(() => '') : null;
			let parsed = text;
			try {
				parsed = text ? JSON.parse(text) : data;
			} catch {
				// not JSON: the text itself
			}
			const message = failure?.response ? errorMessage({ status: failure.response.status, data: parsed }) : errorMessage(failure);
			error.value = `${file.name} could not be downloaded: ${message}`;
		}
	}

	return { href, download, error };
}
