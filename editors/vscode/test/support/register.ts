// Makes `require('vscode')` load the stub. Import this before any module that imports vscode.
import Module from 'node:module';
import * as path from 'node:path';

const stub = path.join(__dirname, 'vscode-stub.js');
type Resolve = (request: string, ...rest: unknown[]) => string;
const m = Module as unknown as { _resolveFilename: Resolve };
const original = m._resolveFilename;
m._resolveFilename = function (request: string, ...rest: unknown[]): string {
  return request === 'vscode' ? stub : original.call(this, request, ...rest);
};
