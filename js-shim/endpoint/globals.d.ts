// What the endpoint uses of Node's globals that @types/node leaves to lib.dom (not loaded here:
// the endpoint runs in Node, not a browser).
declare namespace WebAssembly {
	class Module {}
	class RuntimeError extends Error {}
}
