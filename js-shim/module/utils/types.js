// @ts-check
// The types of what the endpoint answers the page, for its scripts' JSDoc: generated from the
// core's Rust types (target/pkg/table_migration.d.ts), plus the two lines the endpoint's stream
// adds (js-shim/endpoint/stream.js): a heartbeat while the run has nothing new to say, and a
// closing error line. Types only: nothing here is bundled.

/** @typedef {import('../../../target/pkg/table_migration.js').MigrationEvent} MigrationEvent */
/** @typedef {import('../../../target/pkg/table_migration.js').RunReport} RunReport */
/** @typedef {import('../../../target/pkg/table_migration.js').SyncReport} SyncReport */
/** @typedef {import('../../../target/pkg/table_migration.js').TableReport} TableReport */
/** @typedef {import('../../../target/pkg/table_migration.js').Withheld} Withheld */
/** @typedef {import('../../../target/pkg/table_migration.js').JobSummary} JobSummary */
/** @typedef {import('../../../target/pkg/table_migration.js').JobDetail} JobDetail */

/**
 * One line of a streamed answer.
 * @typedef {MigrationEvent
 *   | { type: 'heartbeat', message: string, progress: true }
 *   | { type: 'error', message: string, code?: string, progress?: boolean }} StreamLine
 */

export {};
