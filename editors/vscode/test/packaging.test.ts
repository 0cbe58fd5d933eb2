// Builds both .vsix packages the way the README says (`npm run package`: scripts/package.mjs) and checks what is
// inside: the universal one with the framework-dependent server, the linux-x64 one with the Native AOT server. When
// the repository's /schemas are not generated yet, the packages are built from stand-in schemas in a temporary
// folder, after checking that a strict copy without them fails loudly.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SCHEMA_FILES } from '../src/constants';
import { listZip, readZipEntry } from './support/zip';

const root = path.resolve(__dirname, '../..');
const repo = path.resolve(root, '../..');
const hasDotnet = !spawnSync('dotnet', ['--version']).error;
const serverSources = path.join(repo, 'src/LanguageServer/Stepwise.LanguageServer/Program.cs');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeout = 240_000) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

test('a strict schema copy without the schemas fails loudly, naming the fix', () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-noschemas-'));
  const r = run('node', ['scripts/copy-schemas.mjs', '--strict'], { STEPWISE_SCHEMAS_DIR: empty });
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /ERROR: 4 of 4 schemas unavailable/);
  assert.match(r.out, /stepwise schema --all schemas/);
  const lenient = run('node', ['scripts/copy-schemas.mjs'], { STEPWISE_SCHEMAS_DIR: empty });
  assert.equal(lenient.code, 0, lenient.out);
  assert.match(lenient.out, /warning/);
});

for (const target of ['universal', 'linux-x64'] as const) {
  test(`npm run package (${target}): manifest, bundle, schemas, the server inside, no node_modules, sane size`, { timeout: 1_500_000, skip: !hasDotnet || !fs.existsSync(serverSources) ? 'needs the .NET SDK and the server sources' : false }, () => {
    const repoSchemas = path.join(repo, 'schemas');
    let schemasDir = repoSchemas;
    if (!SCHEMA_FILES.every(f => fs.existsSync(path.join(repoSchemas, f)))) {
      schemasDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-schemas-'));
      for (const f of SCHEMA_FILES) {
        fs.writeFileSync(path.join(schemasDir, f), JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: `stand-in for ${f}`, type: 'object' }));
      }
    }
    const file = path.join(root, `stepwise-${target}.vsix`);
    fs.rmSync(file, { force: true });
    // A cold publish on a loaded 2-core machine takes minutes (Native AOT: compile and link); a warm one less.
    const r = run('node', ['scripts/package.mjs', '--target', target], { STEPWISE_SCHEMAS_DIR: schemasDir }, 1_400_000);
    assert.equal(r.code, 0, `package ${target} failed:\n${r.out}`);
    const vsix = fs.readFileSync(file);
    const entries = listZip(vsix);
    const names = entries.map(e => e.name);

    for (const n of ['extension.vsixmanifest', 'extension/package.json', 'extension/dist/extension.js', 'extension/readme.md']) {
      assert.ok(names.includes(n), `${n} missing from the .vsix: ${names.join(', ')}`);
    }
    for (const f of SCHEMA_FILES) {
      const e = entries.find(x => x.name === `extension/schemas/${f}`);
      assert.ok(e, `schema ${f} missing`);
      JSON.parse(readZipEntry(vsix, e!).toString('utf8'));
    }
    assert.deepEqual(names.filter(n => n.includes('node_modules/')), [], 'no node_modules inside');
    assert.deepEqual(names.filter(n => /^extension\/(src|test|scripts|out)\//.test(n) || n.endsWith('.ts') || n.endsWith('.map') || n.endsWith('.pdb') || n.endsWith('.dbg')), [], 'no sources, maps or symbols');

    const manifest = JSON.parse(readZipEntry(vsix, entries.find(e => e.name === 'extension/package.json')!).toString('utf8'));
    assert.equal(manifest.main, './dist/extension.js');
    assert.equal(manifest.engines.vscode, '^1.82.0');
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    for (const v of manifest.contributes.jsonValidation) assert.ok(names.includes(`extension/${v.url.replace(/^\.\//, '')}`), v.url);

    const xml = readZipEntry(vsix, entries.find(e => e.name === 'extension.vsixmanifest')!).toString('utf8');
    assert.match(xml, /<Identity [^>]*Id="stepwise"[^>]*Publisher="stepwise-tools"/);
    assert.match(xml, /Microsoft\.VisualStudio\.Code\.Engine" Value="\^1\.82\.0"/);
    if (target === 'universal') assert.doesNotMatch(xml, /TargetPlatform=/);
    else assert.match(xml, /TargetPlatform="linux-x64"/);

    // The bundle has the client inside and loads vscode from the host only.
    const bundle = readZipEntry(vsix, entries.find(e => e.name === 'extension/dist/extension.js')!).toString('utf8');
    assert.ok(bundle.includes('workspace/executeCommand') && bundle.includes('stepwise/runStatus'));
    assert.doesNotMatch(bundle, /require\(["']vscode-languageclient/);

    const server = names.filter(n => n.startsWith('extension/server/'));
    if (target === 'universal') {
      for (const n of ['stepwise-lsp.dll', 'stepwise-lsp.runtimeconfig.json', 'stepwise-lsp.deps.json', 'StreamJsonRpc.dll']) assert.ok(names.includes(`extension/server/${n}`), `server/${n} missing`);
      assert.ok(!names.includes('extension/server/stepwise-lsp'), 'no apphost in the universal package');
    } else {
      // Native AOT: one self-contained executable, marked executable in the archive; no .NET files beside it.
      const exe = entries.find(e => e.name === 'extension/server/stepwise-lsp');
      assert.ok(exe, `server/stepwise-lsp missing: ${server.join(', ')}`);
      assert.ok((exe!.mode & 0o111) !== 0, `server/stepwise-lsp is not executable (mode ${exe!.mode.toString(8)})`);
      assert.deepEqual(server.filter(n => n.endsWith('.dll') || n.endsWith('runtimeconfig.json')), [], 'no managed assemblies in the native package');
    }
    const mb = vsix.length / 1024 / 1024;
    assert.ok(mb < 40, `.vsix is ${mb.toFixed(2)} MB`);
    console.log(`vsix ${target}: ${entries.length} files, ${mb.toFixed(2)} MB (server: ${server.length} files), schemas from ${schemasDir === repoSchemas ? 'the repository' : 'stand-ins'}`);
  });
}

test('packaging fails loudly, and leaves no .vsix, when the server cannot be built', { timeout: 300_000, skip: !hasDotnet ? 'needs dotnet' : false }, () => {
  const file = path.join(root, 'stepwise-universal.vsix');
  const before = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
  const r = run('node', ['scripts/package.mjs', '--target', 'universal'], { DOTNET: path.join(os.tmpdir(), 'no-such-dotnet') });
  try {
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /package: ERROR: cannot run .*no-such-dotnet/);
    assert.ok(!fs.existsSync(file), 'no .vsix left behind');
  } finally {
    if (before) fs.writeFileSync(file, before);
  }
});
