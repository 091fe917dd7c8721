// @ts-check
// The `migration` endpoint: routes under /migration. Only /test is open; every other route,
// known or not, requires an admin caller.
import { defineEndpoint } from '@directus/extensions-sdk';
import { requireAdmin, notFound } from './guard.js';
import { errorHandler } from './errors.js';
import { useLogger } from './core.js';
import { jobsTableReady } from './host/jobs.js';
import { testRoute } from './routes/test.js';
import { checkRoute } from './routes/check.js';
import { tablesRoute } from './routes/tables.js';
import { schemaSyncRoute } from './routes/schema-sync.js';
import { migrateRoute } from './routes/migrate.js';
import { verifyRoute } from './routes/verify.js';
import { artifactRoute } from './routes/artifacts.js';
import { listJobsRoute, jobRoute, jobEventsRoute, cancelJobRoute, resumeJobRoute } from './routes/jobs.js';
import { startSweeping } from './sweeper.js';
import { receiveInfoRoute, receiveExistingRoute, receiveLackingRoute, receiveRowsRoute, receiveRowsByKeyRoute } from './routes/receive.js';

export default defineEndpoint({
	id: 'migration',
	handler(router, context) {
		useLogger(context.logger);
		// The jobs' table, made (or brought up to date) once per process; a failure is logged, and
		// the job routes answer with the database's error until it is fixed.
		// Once it is there, this process sweeps it: jobs of processes that died go on here.
		jobsTableReady(context.database)
			.then(() => startSweeping(context))
			.catch((error) =>
				context.logger.error(`[table-migration] the table of the jobs (table_migration_jobs) could not be made: ${error?.message ?? error}`),
			);
		router.get('/test', testRoute(context));

		router.use(requireAdmin);
		router.post('/check', checkRoute(context));
		router.post('/tables', tablesRoute(context));
		router.post('/schema-sync', schemaSyncRoute(context));
		router.post('/dry-run', migrateRoute(context, { dryRun: true }));
		router.post('/run', migrateRoute(context, { dryRun: false }));
		router.post('/verify', verifyRoute(context));
		router.get('/artifacts/:fileId', artifactRoute(context));
		router.get('/jobs', listJobsRoute(context));
		router.get('/jobs/:processId', jobRoute(context));
		router.get('/jobs/:processId/events', jobEventsRoute(context));
		router.post('/jobs/:processId/cancel', cancelJobRoute(context));
		router.post('/jobs/:processId/resume', resumeJobRoute(context));
		router.get('/receive/info', receiveInfoRoute(context));
		router.post('/receive/existing', receiveExistingRoute(context));
		router.post('/receive/lacking', receiveLackingRoute(context));
		router.post('/receive/rows', receiveRowsRoute(context));
		router.post('/receive/rows-by-key', receiveRowsByKeyRoute(context));
		router.use(notFound);
		// Every error passed on with `next` (the guard's, an unknown route's) answered in one place.
		router.use(errorHandler(context.logger));
	},
});
