// Builds the .vsix the way CI does (`npm run package`, i.e. `vsce package`) and checks what is inside.
// The language server is published into server/ first when dotnet and the server's sources are there
// (STEPWISE_SKIP_BUNDLE=1 skips that). When the repository's /schemas are not generated yet, the package is built
// from stand-in schemas in a temporary folder, after checking that a strict copy without them fails loudly.
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
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
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

test('vsce package: manifest, bundle, schemas, server when bundled, no node_modules, sane size', { timeout: 1_200_000 }, () => {
  let bundled = fs.existsSync(path.join(root, 'server/stepwise-lsp.dll'));
  if (hasDotnet && fs.existsSync(serverSources) && process.env.STEPWISE_SKIP_BUNDLE !== '1') {
    // A cold publish on a loaded 2-core machine can take minutes; a warm one (after dotnet test -c Release) seconds.
    const b = run(npm, ['run', '-s', 'bundle-server'], {}, 900_000);
    assert.equal(b.code, 0, `bundle-server failed:\n${b.out}`);
    bundled = true;
  }
  const repoSchemas = path.join(repo, 'schemas');
  let schemasDir = repoSchemas;
  if (!SCHEMA_FILES.every(f => fs.existsSync(path.join(repoSchemas, f)))) {
    schemasDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-schemas-'));
    for (const f of SCHEMA_FILES) {
      fs.writeFileSync(path.join(schemasDir, f), JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: `stand-in for ${f}`, type: 'object' }));
    }
  }
  fs.rmSync(path.join(root, 'stepwise.vsix'), { force: true });
  const r = run(npm, ['run', '-s', 'package'], { STEPWISE_SCHEMAS_DIR: schemasDir });
  assert.equal(r.code, 0, `npm run package failed:\n${r.out}`);
  const vsix = fs.readFileSync(path.join(root, 'stepwise.vsix'));
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
  assert.deepEqual(names.filter(n => /^extension\/(src|test|scripts|out)\//.test(n) || n.endsWith('.ts') || n.endsWith('.map') || n.endsWith('.pdb')), [], 'no sources, maps or symbols');

  const manifest = JSON.parse(readZipEntry(vsix, entries.find(e => e.name === 'extension/package.json')!).toString('utf8'));
  assert.equal(manifest.main, './dist/extension.js');
  assert.equal(manifest.engines.vscode, '^1.82.0');
  assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
  for (const v of manifest.contributes.jsonValidation) assert.ok(names.includes(`extension/${v.url.replace(/^\.\//, '')}`), v.url);

  const xml = readZipEntry(vsix, entries.find(e => e.name === 'extension.vsixmanifest')!).toString('utf8');
  assert.match(xml, /<Identity [^>]*Id="stepwise"[^>]*Publisher="stepwise-tools"/);
  assert.match(xml, /Microsoft\.VisualStudio\.Code\.Engine" Value="\^1\.82\.0"/);

  // The bundle has the client inside and loads vscode from the host only.
  const bundle = readZipEntry(vsix, entries.find(e => e.name === 'extension/dist/extension.js')!).toString('utf8');
  assert.ok(bundle.includes('workspace/executeCommand') && bundle.includes('stepwise/runStatus'));
  assert.doesNotMatch(bundle, /require\(["']vscode-languageclient/);

  const serverDll = names.includes('extension/server/stepwise-lsp.dll');
  assert.equal(serverDll, bundled, bundled ? 'the published server must be packed' : 'no server was bundled, none may be packed');
  if (bundled) {
    for (const n of ['stepwise-lsp.runtimeconfig.json', 'stepwise-lsp.deps.json', 'StreamJsonRpc.dll']) assert.ok(names.includes(`extension/server/${n}`), `server/${n} missing`);
  }
  const mb = vsix.length / 1024 / 1024;
  assert.ok(mb < (bundled ? 40 : 2), `.vsix is ${mb.toFixed(2)} MB`);
  console.log(`vsix: ${entries.length} files, ${(vsix.length / 1024).toFixed(1)} KB, server ${bundled ? 'bundled' : 'not bundled'}, schemas from ${schemasDir === repoSchemas ? 'the repository' : 'stand-ins'}`);
});
