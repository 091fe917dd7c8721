// @ts-check
// The source's user tables (POST /migration/tables), which of them are selected, and a filter.
import { computed, reactive } from 'vue';
import { useApi } from '@directus/extensions-sdk';
import { errorMessage } from '../utils/errors.js';

export function useTables() {
	const api = useApi();
	const state = reactive({
		items: [],
		loading: false,
		loaded: false,
		error: null,
		selected: [],
		filter: '',
		visible: computed(() => {
			const needle = state.filter.trim().toLowerCase();
			if (!needle) return state.items;
			return state.items.filter((t) => t.collection.toLowerCase().includes(needle) || (t.name ?? '').toLowerCase().includes(needle));
		}),
		load,
		selectAll,
		deselectAll,
	});

	async function load() {
		state.loading = true;
		state.error = null;
		try {
			const { data } = await api.post('/migration/tables', {});
			state.items = Array.isArray(data) ? data : [];
			const known = new Set(state.items.map((t) => t.collection));
			state.selected = state.selected.filter((c) => known.has(c));
			state.loaded = true;
		} catch (error) {
			state.error = errorMessage(error);
		} finally {
			state.loading = false;
		}
	}

	/** Select every table the filter shows. */
	function selectAll() {
		const chosen = new Set(state.selected);
		for (const table of state.visible) chosen.add(table.collection);
		state.selected = state.items.map((t) => t.collection).filter((c) => chosen.has(c));
	}

	/** Deselect every table the filter shows. */
	function deselectAll() {
		const shown = new Set(state.visible.map((t) => t.collection));
		state.selected = state.selected.filter((c) => !shown.has(c));
	}

	return state;
}
