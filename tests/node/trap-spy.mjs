// Loaded into a Directus process with `--import` by trap.test.mjs, never into production: it
// watches the migration core's WASM instance being created, and once the file named by
// TM_TRAP_FILE exists, the core's next write to the destination's rows makes it trap for real —
// an allocation no memory can hold, asked of the instance from inside its own `fetch` import, so
// the trap unwinds through the core while it runs a job (in a wasm-bindgen-futures microtask).
import { existsSync, rmSync } from 'node:fs';

const Instance = WebAssembly.Instance;
const armed = () => process.env.TM_TRAP_FILE && existsSync(process.env.TM_TRAP_FILE);

WebAssembly.Instance = function SpiedInstance(module, imports) {
	const ours = WebAssembly.Module.exports(module).some((e) => e.name === 'installPanicHook');
	if (!ours) return new Instance(module, imports);
	let instance;
	const [space] = Object.keys(imports);
	const wrapped = { ...imports[space] };
	for (const name of Object.keys(wrapped).filter((n) => n.startsWith('__wbg_fetch_'))) {
		const fetch = wrapped[name];
		wrapped[name] = (...args) => {
			const request = args.find((a) => a?.url) ?? {};
			if (armed() && request.method === 'POST' && /\/(items\/|migration\/receive\/rows)/.test(String(request.url))) {
				rmSync(process.env.TM_TRAP_FILE);
				instance.exports.__wbindgen_malloc(0xffff_fff0, 8);
			}
			return fetch(...args);
		};
	}
	instance = new Instance(module, { ...imports, [space]: wrapped });
	return instance;
};
WebAssembly.Instance.prototype = Instance.prototype;
