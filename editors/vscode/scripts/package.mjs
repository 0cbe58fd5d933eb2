// Builds the .vsix with the language server inside, the way rust-analyzer and ruff ship theirs:
//   node scripts/package.mjs                      the package for this machine (linux-x64: --target linux-x64)
//   node scripts/package.mjs --target linux-x64   Native AOT stepwise-lsp (no .NET needed for analysis; needs clang to build)
//   node scripts/package.mjs --target universal   framework-dependent stepwise-lsp.dll (runs wherever .NET 10 is installed)
// Writes stepwise-<target>.vsix. Fails, and leaves no .vsix, when the server is missing from the package.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const repo = path.resolve(here, '../..');
const project = path.join(repo, 'src/LanguageServer/Stepwise.LanguageServer');
const dotnet = process.env.DOTNET ?? 'dotnet';
const argv = process.argv.slice(2);
const arg = name => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const TARGETS = ['linux-x64', 'universal'];
const target = arg('--target') ?? (process.platform === 'linux' && process.arch === 'x64' ? 'linux-x64' : 'universal');
const out = path.join(here, arg('--out') ?? `stepwise-${target}.vsix`);

function fail(message) {
  console.error(`package: ERROR: ${message}`);
  fs.rmSync(out, { force: true });
  process.exit(1);
}
function run(cmd, args, what) {
  console.log(`package: ${what}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: here, stdio: 'inherit', shell: false });
  if (r.error) fail(`${what}: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${what} failed (exit ${r.status})`);
}

if (!TARGETS.includes(target)) fail(`--target must be one of ${TARGETS.join(', ')}, not ${target}`);
if (!fs.existsSync(project)) fail(`no server project at ${project}: package from a checkout of the repository`);
fs.rmSync(out, { force: true });

run(process.execPath, ['scripts/copy-schemas.mjs', '--strict'], 'schemas');
run(process.execPath, ['scripts/build.mjs', '--production'], 'bundle');

// The server, published next to server/ and moved there (where the extension looks first) only when it built: a failed
// package leaves the previous server in place.
const serverDir = path.join(here, 'server');
const staging = path.join(here, 'server.staging');
fs.rmSync(staging, { recursive: true, force: true });
const publish = ['publish', project, '-c', 'Release', '-o', staging, '--nologo', '-v', 'quiet', '-clp:ErrorsOnly'];
if (target === 'linux-x64') publish.push('-r', 'linux-x64', '-p:StepwiseAot=true', '-p:StripSymbols=true');
else publish.push('-p:StepwisePortable=true', '-p:UseAppHost=false');
const r = spawnSync(dotnet, publish, { cwd: here, stdio: 'inherit' });
if (r.error) fail(`cannot run ${dotnet}: ${r.error.message} (install the .NET 10 SDK)`);
if (r.status !== 0) {
  fail(`dotnet publish of the language server failed (exit ${r.status})` +
    (target === 'linux-x64' ? '. Native AOT links with clang: `apt-get install clang`, or build the universal package with --target universal.' : '.'));
}
const serverFile = target === 'linux-x64' ? 'stepwise-lsp' : 'stepwise-lsp.dll';
if (!fs.existsSync(path.join(staging, serverFile))) fail(`dotnet publish succeeded but ${serverFile} is missing from its output`);
for (const f of fs.readdirSync(staging)) if (f.endsWith('.dbg') || f.endsWith('.pdb')) fs.rmSync(path.join(staging, f));
fs.rmSync(serverDir, { recursive: true, force: true });
fs.renameSync(staging, serverDir);

const vsce = path.join(here, 'node_modules', '@vscode', 'vsce', 'vsce');
const vsceArgs = ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', out];
if (target !== 'universal') vsceArgs.push('--target', target);
run(process.execPath, [vsce, ...vsceArgs], 'vsce');

// What a user installs must hold the server, executable: check the archive itself.
const entries = listZip(fs.readFileSync(out));
const entry = entries.find(e => e.name === `extension/server/${serverFile}`);
if (!entry) fail(`${path.basename(out)} has no extension/server/${serverFile}: check .vscodeignore`);
if (target !== 'universal' && (entry.mode & 0o111) === 0) fail(`${path.basename(out)}: server/${serverFile} is not executable in the archive`);
const mb = fs.statSync(out).size / 1024 / 1024;
console.log(`package: ${path.basename(out)}: ${mb.toFixed(1)} MB, ${entries.length} files, server ${serverFile} (${target})`);

/** Names and unix modes from the zip's central directory. */
function listZip(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) fail('the .vsix is not a zip');
  const list = [];
  let p = buf.readUInt32LE(eocd + 16);
  for (let i = 0, n = buf.readUInt16LE(eocd + 10); i < n; i++) {
    const nameLen = buf.readUInt16LE(p + 28), extraLen = buf.readUInt16LE(p + 30), commentLen = buf.readUInt16LE(p + 32);
    list.push({ name: buf.toString('utf8', p + 46, p + 46 + nameLen), mode: buf.readUInt32LE(p + 38) >>> 16 });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return list;
}
