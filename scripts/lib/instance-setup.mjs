// Things a test or the demo sets up on a running instance through its REST API.
import { client } from './api.mjs';

/** Show the extension's page in the module bar (Directus lists extension modules only when enabled). */
export async function enableModuleBar(instance) {
	const admin = client(instance.url, instance.token);
	const ids = ['content', 'users', 'files', 'insights', 'table-migration', 'settings'];
	await admin.patch('/settings', {
		module_bar: ids.map((id) => ({ type: 'module', id, enabled: true, ...(id === 'settings' ? { locked: true } : {}) })),
	});
}

/**
 * A user who can use the app but is not an admin, with a static token.
 * @returns {Promise<{ email: string, password: string, token: string }>}
 */
export async function createEditor(instance, { email = 'editor@example.com', password = 'editor-password', token = 'editor-static-token' } = {}) {
	const admin = client(instance.url, instance.token);
	const policy = await admin.post('/policies', { name: 'Editors', icon: 'badge', app_access: true, admin_access: false });
	const role = await admin.post('/roles', { name: 'Editor', icon: 'edit' });
	await admin.post('/access', { role: role.id, policy: policy.id });
	await admin.post('/users', { email, password, role: role.id, token });
	return { email, password, token };
}
