// A whole project on a source instance, for tests/e2e/system.test.mjs: a user collection, nested
// roles, policies with permissions (field lists, filters), access rows for roles and for a user,
// users (one with a static token, one whose e-mail the destination has under another id), a
// folder tree with files no row references, a flow whose operations chain, a dashboard with
// panels, translations, presets, a comment, a share, a content version and settings.
//
// Directus 12 without a licence refuses custom permission rules (a field list, a filter) through
// its API, and hides them: there they are written into the source's database directly, as an
// instance that had a licence would hold them.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CACHE } from '../../scripts/lib/directus.mjs';
import { client } from '../../scripts/lib/api.mjs';

export const PUBLIC_POLICY = 'abf8a154-5b1c-4a46-ac9c-7300570f4f17';
export const SHARED_EMAIL = 'shared@example.com';

/** Whether `version` refuses custom permission rules without a licence (Directus 12+). */
export const licensed = (version) => Number(version.split('.')[0]) >= 12;

/** Run SQL statements against an instance's SQLite database (with the runtime's own driver). */
async function sql(instance, statements) {
	const require = createRequire(join(CACHE, `directus-${instance.version}`, 'package.json'));
	const sqlite3 = require('sqlite3');
	const db = await new Promise((resolve, reject) => {
		const opened = new sqlite3.Database(instance.dbFile, (error) => (error ? reject(error) : resolve(opened)));
	});
	try {
		for (const [statement, params] of statements) {
			await new Promise((resolve, reject) => db.run(statement, params, (error) => (error ? reject(error) : resolve())));
		}
	} finally {
		await new Promise((resolve) => db.close(resolve));
	}
}

async function upload(instance, { folder, name, text }) {
	const form = new FormData();
	if (folder) form.append('folder', folder);
	form.append('title', name);
	form.append('file', new Blob([text], { type: 'text/plain' }), name);
	const res = await fetch(`${instance.url}/files`, { method: 'POST', headers: { Authorization: `Bearer ${instance.token}` }, body: form });
	if (res.status !== 200) throw new Error(`upload ${name}: ${res.status} ${await res.text()}`);
	return (await res.json()).data;
}

/** The permissions of the project: `[policy key, collection, action, fields, filter]`. */
function permissionsOf(p) {
	return [
		// Editors see names only (a field list), and may create.
		[p.editors, 'projects', 'read', ['id', 'name'], null],
		[p.editors, 'projects', 'create', ['*'], null],
		// Contributors see public projects only (a filter).
		[p.contributors, 'projects', 'read', ['*'], { visibility: { _eq: 'public' } }],
		// The bot sees everything; the public, public projects.
		[p.bots, 'projects', 'read', ['*'], null],
		[PUBLIC_POLICY, 'projects', 'read', ['*'], { visibility: { _eq: 'public' } }],
	];
}

const custom = ([, , , fields, filter]) => filter !== null || !fields.includes('*');

/** Seed the source; returns what the tests compare. */
export async function seedSource(source) {
	const api = client(source.url, source.token);
	await api.post('/collections', {
		collection: 'projects',
		meta: { versioning: true, icon: 'work' },
		schema: {},
		fields: [
			{ field: 'id', type: 'integer', meta: { hidden: true }, schema: { is_primary_key: true, has_auto_increment: true } },
			{ field: 'name', type: 'string', meta: { interface: 'input' }, schema: {} },
			{ field: 'visibility', type: 'string', meta: { interface: 'input' }, schema: {} },
			{ field: 'user_created', type: 'uuid', meta: { special: ['user-created'], interface: 'select-dropdown-m2o' }, schema: {} },
		],
	});
	await api.post('/relations', { collection: 'projects', field: 'user_created', related_collection: 'directus_users', schema: { on_delete: 'SET NULL' } });
	const projects = await api.post('/items/projects', [
		{ name: 'Public one', visibility: 'public' },
		{ name: 'Internal', visibility: 'internal' },
		{ name: 'Public two', visibility: 'public' },
	]);

	// Roles: Editors nested in Contributors (a child role has its parents' policies too).
	const contributorsRole = await api.post('/roles', { name: 'Contributors', icon: 'edit' });
	const editorsRole = await api.post('/roles', { name: 'Editors', icon: 'group', parent: contributorsRole.id });
	const policies = {
		editors: (await api.post('/policies', { name: 'Editors policy', icon: 'badge', app_access: true, admin_access: false })).id,
		contributors: (await api.post('/policies', { name: 'Contributors policy', icon: 'badge', app_access: false, admin_access: false })).id,
		bots: (await api.post('/policies', { name: 'Bots policy', icon: 'smart_toy', app_access: false, admin_access: false, ip_access: null })).id,
	};
	const rows = permissionsOf(policies);
	const hidden = licensed(source.version) ? rows.filter(custom) : [];
	for (const [policy, collection, action, fields, filter] of rows.filter((row) => !hidden.includes(row))) {
		await api.post('/permissions', { policy, collection, action, fields, permissions: filter });
	}
	await sql(source, hidden.map(([policy, collection, action, fields, filter]) => [
		'INSERT INTO directus_permissions (policy, collection, action, fields, permissions) VALUES (?, ?, ?, ?, ?)',
		[policy, collection, action, fields.join(','), filter === null ? null : JSON.stringify(filter)],
	]));

	// Folders and files no row references; one is the writer's avatar and the project logo.
	const root = await api.post('/folders', { name: 'Media' });
	const child = await api.post('/folders', { name: 'Photos', parent: root.id });
	const grandchild = await api.post('/folders', { name: '2026', parent: child.id });
	const files = [
		await upload(source, { folder: root.id, name: 'avatar.txt', text: 'an avatar' }),
		await upload(source, { folder: child.id, name: 'photo.txt', text: 'a photo, in words' }),
		await upload(source, { folder: grandchild.id, name: 'deep.txt', text: 'deep in the tree' }),
		await upload(source, { name: 'loose.txt', text: 'in no folder at all' }),
	];

	const user = (fields) => api.post('/users', { status: 'active', ...fields });
	const users = {
		editor: await user({ email: 'editor@example.com', password: 'editor-password', role: editorsRole.id, first_name: 'Eda', token: 'editor-source-token' }),
		contributor: await user({ email: 'contributor@example.com', password: 'contributor-password', role: contributorsRole.id, token: 'contributor-source-token' }),
		bot: await user({ first_name: 'Bot', token: 'bot-static-token' }),
		shared: await user({ email: SHARED_EMAIL, password: 'shared-password', role: contributorsRole.id, first_name: 'Source side' }),
		writer: await user({
			email: 'writer@example.com', password: 'writer-password', role: contributorsRole.id, status: 'suspended',
			first_name: 'Wri', last_name: 'Ter', title: 'Writer', avatar: files[0].id, tags: ['words'],
		}),
	};
	await api.post('/access', [
		{ role: contributorsRole.id, policy: policies.contributors },
		{ role: editorsRole.id, policy: policies.editors },
		{ user: users.bot.id, policy: policies.bots },
	]);
	// The shared user also holds the Administrator policy itself: the destination's user with its
	// address must not become an administrator.
	const admin = JSON.stringify({ admin_access: { _eq: true } });
	const [adminPolicy] = await api.get(`/policies?fields=id&sort=id&filter=${encodeURIComponent(admin)}`);
	const sharedAdmin = await api.post('/access', { user: users.shared.id, policy: adminPolicy.id });
	await api.patch(`/items/projects/${projects[1].id}`, { user_created: users.shared.id });

	// A flow: a condition resolving to "create a project", rejecting to a log line.
	const flow = await api.post('/flows', {
		name: 'Create a project', icon: 'bolt', status: 'active', trigger: 'webhook', accountability: 'all',
		options: { method: 'POST', async: false },
	});
	const log = await api.post('/operations', { flow: flow.id, key: 'rejected', type: 'log', position_x: 37, position_y: 17, options: { message: 'no name' } });
	const create = await api.post('/operations', {
		flow: flow.id, key: 'create', type: 'item-create', position_x: 37, position_y: 1,
		options: { collection: 'projects', permissions: '$full', emitEvents: true, payload: { name: '{{$trigger.body.name}}', visibility: 'public' } },
	});
	const check = await api.post('/operations', {
		flow: flow.id, key: 'check', type: 'condition', position_x: 19, position_y: 1,
		options: { filter: { $trigger: { body: { name: { _nnull: true } } } } }, resolve: create.id, reject: log.id,
	});
	await api.patch(`/flows/${flow.id}`, { operation: check.id });

	const dashboard = await api.post('/dashboards', { name: 'Overview', icon: 'space_dashboard', note: 'All projects' });
	await api.post('/panels', [
		{ dashboard: dashboard.id, name: 'Welcome', type: 'label', position_x: 1, position_y: 1, width: 12, height: 6, show_header: false, options: { text: 'Hello' } },
		{ dashboard: dashboard.id, name: 'Projects', type: 'metric', position_x: 13, position_y: 1, width: 12, height: 6, show_header: true, options: { collection: 'projects', field: 'id', function: 'count' } },
	]);
	await api.post('/translations', [
		{ language: 'en-US', key: 'project_hello', value: 'Hello' },
		{ language: 'de-DE', key: 'project_hello', value: 'Hallo' },
	]);
	await api.post('/presets', [
		{ bookmark: 'Public projects', user: users.shared.id, collection: 'projects', layout: 'tabular', filter: { visibility: { _eq: 'public' } } },
		{ bookmark: null, role: editorsRole.id, user: null, collection: 'projects', layout: 'cards', layout_query: { cards: { sort: ['name'] } } },
	]);
	await api.post('/comments', { collection: 'projects', item: String(projects[0].id), comment: 'The first one' });
	await api.post('/shares', { name: 'A look', collection: 'projects', item: String(projects[0].id), role: contributorsRole.id, max_uses: 5 });
	const version = await api.post('/versions', { key: 'draft', name: 'Draft', collection: 'projects', item: String(projects[0].id) });
	await api.post(`/versions/${version.id}/save`, { name: 'Public one, renamed' });
	await api.patch('/settings', {
		project_name: 'Source project', project_color: '#123456', public_note: 'Hello from the source', custom_css: '.x { color: red; }',
		project_logo: files[0].id, public_registration_role: contributorsRole.id, storage_default_folder: child.id,
		module_bar: [{ type: 'module', id: 'content', enabled: true }, { type: 'module', id: 'settings', enabled: true, locked: true }],
		mapbox_key: 'pk.source-secret',
	});

	return {
		projects,
		roles: { editors: editorsRole.id, contributors: contributorsRole.id },
		policies,
		users,
		files,
		folders: [root.id, child.id, grandchild.id],
		flow: flow.id,
		operations: { check: check.id, create: create.id, log: log.id },
		dashboard: dashboard.id,
		sharedAdminAccess: { id: sharedAdmin.id, policy: adminPolicy.id },
		customPermissions: rows.filter(custom).length,
		hiddenPermissions: hidden.length,
		tokens: { editor: 'editor-source-token', contributor: 'contributor-source-token', bot: 'bot-static-token' },
	};
}

/** The destination's own user with the source's shared address, under another id: a plain user
 * (no role, no policy), with a static token (`DESTINATION_SHARED_TOKEN`). */
export const DESTINATION_SHARED_TOKEN = 'destination-shared-token';
export async function seedDestination(destination) {
	return client(destination.url, destination.token).post('/users', { email: SHARED_EMAIL, password: 'destination-shared-password', first_name: 'Destination side', token: DESTINATION_SHARED_TOKEN });
}
