// @ts-check
// The destination: its URL (remembered in localStorage, the only thing the page stores), the
// admin token (in this component's memory only: never stored, never put in a URL, never logged)
// and the outcome of POST /migration/check.
import { reactive, watch } from 'vue';
import { useApi } from '@directus/extensions-sdk';
import { errorMessage, statusOf } from '../utils/errors.js';

const URL_KEY = 'directus-extension-table-migration:destination-url';

function rememberedUrl() {
	try {
		return window.localStorage.getItem(URL_KEY) ?? '';
	} catch {
		return '';
	}
}

function rememberUrl(url) {
	try {
		window.localStorage.setItem(URL_KEY, url);
	} catch {
		// storage unavailable: nothing to remember
	}
}

export function useDestination() {
	const api = useApi();
	const state = reactive({
		url: rememberedUrl(),
		token: '',
		checking: false,
		/** The check's answer: `{ status: "success"|"warning"|"danger", message, source?, destination?, bulkReceiver? }`. */
		result: null,
		/** Whether the last check found the destination usable (for the inputs as they are now). */
		ok: false,
		check,
		body,
	});

	// Another URL or token has not been checked.
	watch(
		() => [state.url, state.token],
		() => {
			state.ok = false;
			state.result = null;
		},
	);

	/** The body fields every destination route takes. */
	function body(scope = {}) {
		return { baseURL: (state.url ?? '').trim(), token: state.token ?? '', scope };
	}

	async function check({ force = false } = {}) {
		state.checking = true;
		state.result = null;
		state.ok = false;
		try {
			const { data } = await api.post('/migration/check', body({ force }));
			state.result = data;
			state.ok = data?.status === 'success' || data?.status === 'warning';
			rememberUrl(state.url.trim());
		} catch (error) {
			const data = error?.response?.data;
			state.result = {
				...(data && typeof data === 'object' && !Array.isArray(data) ? data : {}),
				status: 'danger',
				httpStatus: statusOf(error),
				message: errorMessage(error),
			};
		} finally {
			state.checking = false;
		}
	}

	return state;
}
