// @ts-check
// The Past runs panel's data: the jobs GET /migration/jobs keeps (newest first, every run the
// endpoint still knows), who started them (GET /users/:id, asked once per distinct id) and, on
// demand, a finished job's report (GET /migration/jobs/:processId). The state lives at module
// level like the run's, so coming back to the page shows the list at once; what it holds is
// bounded by the endpoint's retention (a list, a name per user, the reports opened).
import { reactive } from 'vue';
import { useApi } from '@directus/extensions-sdk';
import { errorMessage } from '../utils/errors.js';
import { userLabel } from '../utils/history.js';

const state = reactive({
	/** @type {import('../utils/types.js').JobSummary[]} */
	items: [],
	loading: false,
	loaded: false,
	/** @type {string | null} */
	error: null,
	/** Who started a job, by user id: `{ text, title }` once known. */
	users: {},
	/** A finished job's report by process id: `{ loading, report, kind, error }`. */
	details: {},
});
/** The users asked for already (answered or not): each id is asked once. */
const asked = new Set();
/** Bumped on each load, so an older answer arriving late does not replace a newer one. */
let loads = 0;

export function useHistory() {
	const api = useApi();

	async function load() {
		const mine = ++loads;
		state.loading = true;
		state.error = null;
		try {
			const { data } = await api.get('/migration/jobs');
			if (mine !== loads) return;
			const list = Array.isArray(data) ? data : Array.isArray(data?.data) ? data.data : [];
			state.items = list.filter((job) => job && typeof job.processId === 'string');
			state.loaded = true;
			resolveUsers();
		} catch (error) {
			if (mine === loads) state.error = errorMessage(error);
		} finally {
			if (mine === loads) state.loading = false;
		}
	}

	/** Name each new `startedBy` once; without read access to users the id itself is shown. */
	function resolveUsers() {
		for (const job of state.items) {
			const id = job.startedBy;
			if (typeof id !== 'string' || !id || asked.has(id)) continue;
			asked.add(id);
			api
				.get(`/users/${encodeURIComponent(id)}`, { params: { fields: 'first_name,last_name,email' } })
				.then(({ data }) => (state.users[id] = userLabel(data?.data ?? data, id)))
				.catch(() => (state.users[id] = userLabel(null, id)));
		}
	}

	/** Fetch a finished job's report (once; again after a failed attempt). */
	async function openDetail(processId) {
		const known = state.details[processId];
		if (known && (known.loading || known.report || !known.error)) return;
		state.details[processId] = { loading: true, report: null, kind: null, status: null, error: null };
		try {
			const { data } = await api.get(`/migration/jobs/${encodeURIComponent(processId)}`);
			const detail = data?.data ?? data ?? {};
			state.details[processId] = { loading: false, report: detail.report ?? null, kind: detail.kind ?? null, status: detail.status ?? null, error: null };
		} catch (error) {
			state.details[processId] = { loading: false, report: null, kind: null, status: null, error: errorMessage(error) };
		}
	}

	return { state, load, openDetail };
}
