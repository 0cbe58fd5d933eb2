// Publishes the language server (framework-dependent; the extension runs it as `dotnet stepwise-lsp.dll`) into
// server/, where the extension looks first. Needs the .NET SDK. Same global properties as a plain Release build,
// so after `dotnet build/test -c Release` the referenced projects are reused, not rebuilt.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const project = path.resolve(here, '../../src/LanguageServer/Stepwise.LanguageServer');
const out = path.join(here, 'server');
const dotnet = process.env.DOTNET ?? 'dotnet';

if (!fs.existsSync(project)) { console.error(`bundle-server: no server project at ${project}`); process.exit(1); }
fs.rmSync(out, { recursive: true, force: true });
const args = ['publish', project, '-c', 'Release', '-o', out, '--nologo', '-v', 'quiet'];
console.log(`bundle-server: ${dotnet} ${args.join(' ')}`);
const r = spawnSync(dotnet, args, { stdio: 'inherit' });
if (r.error) { console.error(`bundle-server: cannot run ${dotnet}: ${r.error.message} (install the .NET 10 SDK)`); process.exit(1); }
if (r.status !== 0) { console.error(`bundle-server: dotnet publish failed (exit ${r.status})`); process.exit(1); }
const dll = path.join(out, 'stepwise-lsp.dll');
if (!fs.existsSync(dll)) { console.error(`bundle-server: publish succeeded but ${dll} is missing`); process.exit(1); }
console.log(`bundle-server: ${path.relative(here, dll)}`);
