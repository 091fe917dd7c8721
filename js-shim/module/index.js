// The admin page at /admin/table-migration. It only calls the endpoint; it never loads the WASM.
import { defineModule } from '@directus/extensions-sdk';
import MigrationPage from './migration-page.vue';

export default defineModule({
	id: 'table-migration',
	name: 'Table Migration',
	icon: 'move_down',
	routes: [{ path: '', component: MigrationPage }],
	preRegisterCheck(user) {
		return user?.admin_access === true;
	},
});
