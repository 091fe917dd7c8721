// @ts-check
// What a run with scope.deleteMissing deletes, as a dry run's report lists it: one readable
// entry per collection, with the first keys.

const SHOWN_KEYS = 10;

const keyText = (key) => (typeof key === 'string' ? key : JSON.stringify(key));

/** `[{ collection, count, keys }]` for the tables of `report` that delete rows. */
export function rowDeletionsOf(report) {
	return (report?.tables ?? [])
		.filter((table) => table.deleted > 0)
		.map((table) => {
			const listed = (table.deletedKeys ?? []).slice(0, SHOWN_KEYS).map(keyText);
			const more = table.deleted - listed.length;
			return { collection: table.collection, count: table.deleted, keys: more > 0 ? [...listed, `and ${more} more`] : listed };
		});
}
