// Maps `vscode` to the host stub (enough of VS Code for vscode-languageclient to start).
import Module from 'node:module';
import * as path from 'node:path';

const stub = path.join(__dirname, 'host-stub.js');
type Resolve = (request: string, ...rest: unknown[]) => string;
const m = Module as unknown as { _resolveFilename: Resolve };
const original = m._resolveFilename;
m._resolveFilename = function (request: string, ...rest: unknown[]): string {
  return request === 'vscode' ? stub : original.call(this, request, ...rest);
};

// Names the host stub does not define resolve to inert stand-ins, as long as nothing the test checks depends on them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loaded = require(stub) as Record<string, unknown> & { inert(name: string): unknown };
const cached = require.cache[require.resolve(stub)]!;
cached.exports = new Proxy(loaded, { get: (t, p) => (p in t ? t[p as string] : p === 'then' || p === '__esModule' ? undefined : t.inert(`vscode.${String(p)}`)) });
