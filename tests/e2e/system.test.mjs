// excludedTables mode moves Directus' own collections: a whole project (roles, policies, access,
// permissions, users, folders and files, a flow, a dashboard, translations, presets, a comment, a
// share, a version, settings) to a destination bootstrapped on its own — its administrator role,
// policy and user have other ids than the source's, and it has a user with one of the source's
// e-mail addresses. Judged through the destination's API: same ids or the reported mapping, the
// same answers to each user, the flow running, the destination's administrator untouched, no
// secret arriving, a second run creating nothing, a dry run writing nothing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDirectus, VERSIONS } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';
import { artifactFolders, migrationCall, sha256, summaryOf } from './support.mjs';
import { DESTINATION_SHARED_TOKEN, PUBLIC_POLICY, SHARED_EMAIL, licensed, seedDestination, seedSource } from './system-seed.mjs';

const SYSTEM = [
	'directus_roles', 'directus_policies', 'directus_access', 'directus_permissions', 'directus_users',
	'directus_folders', 'directus_files', 'directus_comments', 'directus_presets', 'directus_translations',
	'directus_dashboards', 'directus_panels', 'directus_flows', 'directus_operations', 'directus_shares',
	'directus_versions', 'directus_settings',
];
const ndjson = { accept: 'application/x-ndjson' };
const DESTINATION_ADMIN = { email: 'dest-admin@example.com', password: 'dest-admin-password', token: 'dest-admin-token' };

/** Everything an instance holds of Directus' own collections, by endpoint, sorted. */
async function holdings(instance) {
	const api = client(instance.url, instance.token);
	const all = async (path, fields = '*') => api.get(`${path}?limit=-1&fields=${fields}&sort=id`);
	return {
		roles: await all('/roles', 'id,name,icon,parent'),
		policies: await all('/policies', 'id,name,app_access,admin_access'),
		access: await all('/access', 'id,role,user,policy'),
		permissions: (await all('/permissions', 'id,policy,collection,action,fields,permissions')).filter((p) => p.id != null),
		users: await all('/users', 'id,email,first_name,last_name,title,status,role,avatar,tags,password,token,tfa_secret'),
		folders: await all('/folders', 'id,name,parent'),
		files: await all('/files', 'id,filename_download,title,folder,filesize,uploaded_by'),
		flows: await all('/flows', 'id,name,status,trigger,operation,options'),
		operations: await all('/operations', 'id,key,type,flow,resolve,reject,options'),
		dashboards: await all('/dashboards', 'id,name,note'),
		panels: await all('/panels', 'id,dashboard,name,type,options'),
		translations: await all('/translations', 'id,language,key,value'),
		presets: await all('/presets', 'id,bookmark,user,role,collection,layout,filter,layout_query'),
		comments: await all('/comments', 'id,collection,item,comment'),
		shares: await all('/shares', 'id,name,collection,item,role,max_uses'),
		versions: await all('/versions', 'id,key,name,collection,item,delta'),
		settings: await api.get('/settings'),
	};
}

/** `held` without the run artifacts' tree (the top folder "Migrations", its run folders, their
 * files): the source's own records of its runs, which a system-data run leaves where they are. */
function withoutArtifacts(held) {
	const tree = artifactFolders(held.folders);
	return {
		...held,
		folders: held.folders.filter((f) => !tree.has(f.id)),
		files: held.files.filter((f) => !tree.has(f.folder)),
	};
}

/** What `token` gets reading the projects, status and rows (or the error code). */
async function answer(instance, token) {
	const res = await client(instance.url, token).request('GET', '/items/projects?fields=*&sort=id&limit=-1');
	if (res.status !== 200) return { status: res.status, code: res.body?.errors?.[0]?.extensions?.code };
	return { status: 200, rows: res.body.data.map(({ id, name, visibility }) => ({ id, name, visibility })) };
}

for (const version of VERSIONS) {
	describe(`system data on Directus ${version}`, () => {
		let source, destination, target, seeded, destinationShared, sourceHeld, destinationBefore, firstRun;

		before(async () => {
			[source, destination] = await Promise.all([
				startDirectus({ version, name: 'system-source' }),
				startDirectus({ version, name: 'system-destination', fresh: true, admin: DESTINATION_ADMIN }),
			]);
			target = { baseURL: destination.url, token: destination.token };
			seeded = await seedSource(source);
			destinationShared = await seedDestination(destination);
			const sync = await migrationCall(source, 'schema-sync', target);
			assert.match(sync.lines.at(-1), /^Applied: /, sync.text);
			sourceHeld = withoutArtifacts(await holdings(source));
		});
		after(() => Promise.all([source?.stop(), destination?.stop()]));

		test('the two instances do not share their administrator', async () => {
			const [ours, theirs] = await Promise.all([
				client(source.url, source.token).get('/users/me?fields=id,role'),
				client(destination.url, destination.token).get('/users/me?fields=id,role'),
			]);
			assert.notEqual(ours.id, theirs.id);
			assert.notEqual(ours.role, theirs.role);
		});

		test('a dry run reports every system collection, with the mappings, and writes nothing', async () => {
			destinationBefore = await holdings(destination);
			const res = await migrationCall(source, 'dry-run', { ...target, scope: { excludedTables: [] } }, ndjson);
			assert.equal(res.status, 200, res.text.slice(-2000));
			const report = summaryOf(res);
			assert.equal(report.dryRun, true);
			for (const collection of SYSTEM) assert.ok(report.table(collection), `${collection} in the report`);
			assert.deepEqual([report.table('directus_roles').created, report.table('directus_roles').mapped], [2, 1]);
			// The source's administrator arrives as a user (in the destination's administrator role).
			assert.deepEqual([report.table('directus_users').created, report.table('directus_users').mapped], [5, 1]);
			assert.equal(report.table('directus_files').created, seeded.files.length);
			assert.equal(report.table('directus_settings').updated, 1);
			assert.deepEqual(report.mappings.map((m) => [m.collection, m.reason]), [
				['directus_roles', 'administrator role'],
				['directus_policies', 'administrator policy'],
				['directus_users', `same e-mail (${SHARED_EMAIL})`],
			]);
			assert.ok(res.lines.some((l) => JSON.parse(l).message?.startsWith('directus_settings: would merge ')));
			assert.deepEqual(await holdings(destination), destinationBefore, 'nothing was written');
		});

		test('a run moves the project: every item with its id or the reported mapping, no secret', async () => {
			const res = await migrationCall(source, 'run', { ...target, scope: { excludedTables: [] } }, ndjson);
			const report = (firstRun = summaryOf(res));
			const restricted = report.failures.filter((f) => /RESOURCE_RESTRICTED/.test(f.message));
			if (licensed(version)) {
				// Without a licence the destination refuses custom permission rules, each one reported.
				assert.equal(report.status, 'completed with errors', JSON.stringify(report.failures));
				assert.equal(restricted.length, seeded.customPermissions);
				assert.ok(restricted.every((f) => f.collection === 'directus_permissions'));
				assert.equal(report.failureCount, restricted.length, JSON.stringify(report.failures));
			} else {
				assert.equal(report.status, 'completed', JSON.stringify(report.failures));
			}
			const held = await holdings(destination);
			const ids = (rows) => rows.map((r) => r.id);
			const sameIds = (name, except = []) => {
				const wanted = ids(sourceHeld[name]).filter((id) => !except.includes(id));
				const missing = wanted.filter((id) => !ids(held[name]).includes(id));
				assert.deepEqual(missing, [], `${name}: ${missing.length} missing`);
			};

			// The mappings: the destination's administrator role and policy, the shared user.
			const [sourceAdmin, destinationAdmin] = await Promise.all([
				client(source.url, source.token).get('/users/me?fields=id,role'),
				client(destination.url, destination.token).get('/users/me?fields=id,role'),
			]);
			const mapping = Object.fromEntries(report.mappings.map((m) => [m.collection, m]));
			assert.equal(mapping.directus_roles.source, sourceAdmin.role);
			assert.equal(mapping.directus_roles.destination, destinationAdmin.role);
			assert.equal(mapping.directus_users.source, seeded.users.shared.id);
			assert.equal(mapping.directus_users.destination, destinationShared.id);

			// Roles (nested), policies, access rows, with their ids and links.
			sameIds('roles', [sourceAdmin.role]);
			const role = (id) => held.roles.find((r) => r.id === id);
			assert.equal(role(seeded.roles.editors).parent, seeded.roles.contributors);
			assert.equal(role(destinationAdmin.role).name, 'Administrator');
			sameIds('policies', [mapping.directus_policies.source]);
			assert.ok(held.policies.some((p) => p.id === PUBLIC_POLICY));
			const link = (a) => `${a.role}|${a.user}|${a.policy}`;
			const mapped = (a) => ({
				role: a.role === mapping.directus_roles.source ? mapping.directus_roles.destination : a.role,
				user: a.user === mapping.directus_users.source ? mapping.directus_users.destination : a.user,
				policy: a.policy === mapping.directus_policies.source ? mapping.directus_policies.destination : a.policy,
			});
			const notApplied = (a) => a.user === seeded.users.shared.id;
			for (const access of sourceHeld.access.filter((a) => !notApplied(a))) assert.ok(held.access.some((a) => link(a) === link(mapped(access))), link(access));
			// Access never follows an e-mail: the shared user's own link to the Administrator policy is
			// reported, not applied; the destination's user keeps its (lack of) role and policies.
			assert.deepEqual(held.access.filter((a) => a.user === destinationShared.id), [], 'no access row for the destination\'s shared user');
			const { id: accessId, policy: adminPolicy } = seeded.sharedAdminAccess;
			const notice = `directus_access ${accessId}: not applied: the destination's user keeps its access (the source gives user ${seeded.users.shared.id} the policy ${adminPolicy})`;
			assert.ok(report.warnings.includes(notice), `${notice} in ${JSON.stringify(report.warnings)}`);
			const globals = await client(destination.url, DESTINATION_SHARED_TOKEN).get('/policies/me/globals');
			assert.equal(globals.admin_access, false, JSON.stringify(globals));
			assert.equal(held.users.find((u) => u.id === destinationShared.id).role, null);

			// Permissions, matched by policy, collection and action (the destination assigns ids). The
			// ones Directus 12 hides without a licence are not in the source's answer either.
			const permission = (p) => `${p.policy}|${p.collection}|${p.action}|${JSON.stringify(p.fields)}|${JSON.stringify(p.permissions)}`;
			for (const p of sourceHeld.permissions) {
				const wanted = { ...p, policy: mapped(p).policy };
				assert.ok(held.permissions.some((q) => permission(q) === permission(wanted)), permission(p));
			}
			assert.equal(sourceHeld.permissions.length + seeded.hiddenPermissions, 5);

			// Users: with their ids, status, role, profile and avatar; the shared one is the destination's.
			sameIds('users', [seeded.users.shared.id]);
			for (const user of Object.values(seeded.users).filter((u) => u.id !== seeded.users.shared.id)) {
				const ours = sourceHeld.users.find((u) => u.id === user.id);
				const theirs = held.users.find((u) => u.id === user.id);
				for (const field of ['email', 'first_name', 'last_name', 'title', 'status', 'role', 'avatar', 'tags']) {
					assert.deepEqual(theirs[field], ours[field], `${ours.email ?? ours.first_name}.${field}`);
				}
			}
			const theirShared = held.users.find((u) => u.id === destinationShared.id);
			assert.equal(theirShared.first_name, 'Destination side', 'never overwritten');
			assert.ok(!held.users.some((u) => u.id === seeded.users.shared.id));
			// No password hash, static token or two-factor secret arrived (masked when set).
			for (const user of held.users.filter((u) => ids(sourceHeld.users).includes(u.id))) {
				assert.deepEqual([user.password, user.token, user.tfa_secret], [null, null, null], user.email ?? user.id);
			}

			// Folders and every file, byte for byte, uploaders mapped.
			sameIds('folders');
			assert.ok(!held.folders.some((f) => f.name === 'Migrations'), "the source's run artifacts stay on the source");
			for (const folder of sourceHeld.folders) assert.deepEqual(held.folders.find((f) => f.id === folder.id), folder);
			sameIds('files');
			for (const file of sourceHeld.files) {
				const theirs = held.files.find((f) => f.id === file.id);
				assert.deepEqual({ ...theirs, uploaded_by: null }, { ...file, uploaded_by: null }, file.filename_download);
				assert.equal(await sha256(destination, file.id), await sha256(source, file.id));
			}

			// The flow and its chain of operations; the dashboard; translations; comments; shares.
			for (const name of ['flows', 'operations', 'dashboards', 'panels', 'translations', 'comments', 'shares']) {
				sameIds(name);
				for (const row of sourceHeld[name]) assert.deepEqual(held[name].find((r) => r.id === row.id), row, `${name} ${row.id}`);
			}
			const presetKey = (p) => `${p.user}|${p.role}|${p.collection}|${p.bookmark}|${p.layout}`;
			for (const preset of sourceHeld.presets) {
				const wanted = { ...preset, user: mapped(preset).user, role: mapped(preset).role };
				assert.ok(held.presets.some((p) => presetKey(p) === presetKey(wanted) && JSON.stringify(p.filter) === JSON.stringify(preset.filter)), presetKey(preset));
			}
			// The version's changes, saved again on the destination (which stamps its own _user and _date).
			const changes = ({ _user, _date, ...delta }) => delta;
			const draft = held.versions.find((v) => v.key === 'draft');
			assert.deepEqual(changes(draft.delta), changes(sourceHeld.versions[0].delta));
			assert.deepEqual(draft.delta._user, destinationAdmin.id);

			// Rows of user tables that reference the shared user point at the destination's.
			const project = await client(destination.url, destination.token).get(`/items/projects/${seeded.projects[1].id}?fields=user_created`);
			assert.equal(project.user_created, destinationShared.id);

			// Settings merged, the destination's own left.
			const [ours, theirs] = [sourceHeld.settings, held.settings];
			for (const field of ['project_name', 'project_color', 'public_note', 'custom_css', 'project_logo', 'public_registration_role', 'storage_default_folder']) {
				assert.deepEqual(theirs[field], ours[field], `settings.${field}`);
			}
			for (const field of ['project_id', 'module_bar', 'mapbox_key']) {
				assert.deepEqual(theirs[field], destinationBefore.settings[field], `settings.${field} stays the destination's`);
			}
		});

		test('each user gets the same answers on both sides, the flow runs, the destination\'s administrator still works', async () => {
			const admin = client(destination.url, destination.token);
			for (const [name, token] of Object.entries(seeded.tokens)) await admin.patch(`/users/${seeded.users[name].id}`, { token });
			for (const [name, token] of Object.entries(seeded.tokens)) {
				assert.deepEqual(await answer(destination, token), await answer(source, token), name);
			}
			assert.deepEqual(await answer(destination, null), await answer(source, null), 'the public');
			if (!licensed(version)) {
				assert.equal((await answer(destination, 'bot-static-token')).rows.length, 3);
				assert.deepEqual((await answer(destination, null)).rows.map((p) => p.name), ['Public one', 'Public two']);
			}

			const trigger = await admin.request('POST', `/flows/trigger/${seeded.flow}`, { name: 'Made by the flow' });
			assert.equal(trigger.status, 200, trigger.text);
			const made = await admin.get(`/items/projects?filter=${encodeURIComponent(JSON.stringify({ name: { _eq: 'Made by the flow' } }))}`);
			assert.equal(made.length, 1, 'the flow created its project on the destination');

			const me = await admin.get('/users/me?fields=id,email');
			assert.equal(me.email, DESTINATION_ADMIN.email);
			const login = await fetch(`${destination.url}/auth/login`, {
				method: 'POST', headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify({ email: DESTINATION_ADMIN.email, password: DESTINATION_ADMIN.password }),
			});
			assert.equal(login.status, 200, 'the destination administrator\'s password still works');
		});

		test('a second run creates nothing and maps the same keys; its verification compares references as written', async () => {
			const res = await migrationCall(source, 'run', { ...target, scope: { excludedTables: [], verify: true } }, ndjson);
			const report = summaryOf(res);
			// The destination has the flow's project too; the shared user's project points at the
			// destination's user, as the run wrote it.
			const projects = report.verification.tables.find((t) => t.collection === 'projects');
			assert.equal(projects.status, 'contains', JSON.stringify(projects));
			assert.ok(report.verification.notes[0].startsWith("Directus' own collections are not verified"));
			for (const table of report.tables) {
				assert.equal(table.created, 0, table.collection);
				assert.equal(table.updated, 0, table.collection);
			}
			assert.deepEqual(report.mappings, firstRun.mappings);
			assert.equal(report.failureCount, firstRun.failureCount);
		});

		test('scope.userPasswords copies the hash of a new user over the bulk receiver', async () => {
			await client(source.url, source.token).post('/users', { email: 'late@example.com', password: 'late-password' });
			const res = await migrationCall(source, 'run', { ...target, scope: { excludedTables: [], userPasswords: true } }, ndjson);
			const report = summaryOf(res);
			assert.equal(report.transport, 'bulk');
			assert.equal(report.table('directus_users').created, 1);
			assert.ok(res.lines.some((l) => JSON.parse(l).message === 'directus_users: password hashes of 1 new user(s) copied'));
			const login = await fetch(`${destination.url}/auth/login`, {
				method: 'POST', headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify({ email: 'late@example.com', password: 'late-password' }),
			});
			assert.equal(login.status, 200, 'the new user logs in with the source password');
			const editor = await client(destination.url, destination.token).get(`/users/${seeded.users.editor.id}?fields=password`);
			assert.equal(editor.password, null, 'users of earlier runs keep no password');
		});

		test('a user beyond the destination\'s seats is refused and reported with its message (Directus 12); on 11 it arrives', async () => {
			// Seats on the destination now: its administrator, the source's (in the administrator
			// role) and the editor. One more editor is within the source's own three once the shared
			// user's own link to the Administrator policy (a seat on the source, never applied on the
			// destination) is gone.
			await client(source.url, source.token).delete(`/access/${seeded.sharedAdminAccess.id}`);
			const extra = await client(source.url, source.token).post('/users', { email: 'second-editor@example.com', role: seeded.roles.editors });
			const res = await migrationCall(source, 'run', { ...target, scope: { excludedTables: [] } }, ndjson);
			const report = summaryOf(res);
			const there = await client(destination.url, destination.token).request('GET', `/users/${extra.id}?fields=id`);
			if (licensed(version)) {
				const refused = report.failures.find((f) => f.key === extra.id);
				assert.equal(refused?.collection, 'directus_users', JSON.stringify(report.failures));
				assert.match(refused.message, /LIMIT_EXCEEDED/);
				assert.ok(report.warnings.some((w) => w.startsWith('the destination\'s licence refused')), JSON.stringify(report.warnings));
				assert.notEqual(there.status, 200);
			} else {
				assert.equal(report.status, 'completed', JSON.stringify(report.failures));
				assert.equal(there.status, 200);
			}
		});
	});
}
