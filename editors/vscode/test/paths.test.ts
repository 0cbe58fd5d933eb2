import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { type PathEnv, expandPath, resolveDotnet, resolveServer } from '../src/paths';

const ext = '/ext/stepwise-0.1.0';
function env(files: string[], workspaceFolder: string | undefined = '/ws'): PathEnv {
  const set = new Set(files);
  return { platform: 'linux', home: '/home/u', workspaceFolder, exists: p => set.has(p) };
}

test('bundled server: dotnet runs server/stepwise-lsp.dll', () => {
  const r = resolveServer('', ext, '/usr/bin/dotnet', env([`${ext}/server/stepwise-lsp.dll`]));
  assert.deepEqual(r, { ok: true, command: '/usr/bin/dotnet', args: [`${ext}/server/stepwise-lsp.dll`], source: 'bundled', needsDotnet: true, display: `/usr/bin/dotnet ${ext}/server/stepwise-lsp.dll` });
});

test('bundled native server (platform package): run directly, no .NET needed', () => {
  const r = resolveServer('', ext, '/usr/bin/dotnet', env([`${ext}/server/stepwise-lsp`]));
  assert.deepEqual(r, { ok: true, command: `${ext}/server/stepwise-lsp`, args: [], source: 'bundled', needsDotnet: false, display: `${ext}/server/stepwise-lsp (native)` });
  // An apphost beside a framework-dependent publish is not the native server: the .dll runs through dotnet.
  const fd = resolveServer('', ext, '/usr/bin/dotnet', env([`${ext}/server/stepwise-lsp`, `${ext}/server/stepwise-lsp.runtimeconfig.json`, `${ext}/server/stepwise-lsp.dll`]));
  assert.ok(fd.ok && fd.needsDotnet && fd.command === '/usr/bin/dotnet');
});

test('no bundled server and no setting: an error naming both ways out', () => {
  const r = resolveServer(undefined, ext, 'dotnet', env([]));
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.message, /no bundled language server/);
    assert.match(r.message, /stepwise\.server\.path/);
    assert.match(r.message, /npm run package/);
  }
});

test('the setting wins over the bundled server', () => {
  const r = resolveServer('/opt/sw/stepwise-lsp.dll', ext, 'dotnet', env([`${ext}/server/stepwise-lsp.dll`, '/opt/sw/stepwise-lsp.dll']));
  assert.ok(r.ok);
  if (r.ok) { assert.equal(r.source, 'setting'); assert.deepEqual(r.args, ['/opt/sw/stepwise-lsp.dll']); }
});

test('a relative setting resolves against the workspace folder; ${workspaceFolder} and ~ expand', () => {
  assert.equal(expandPath('tools/stepwise-lsp', env([])), path.join('/ws', 'tools/stepwise-lsp'));
  assert.equal(expandPath('${workspaceFolder}/x/stepwise', env([])), '/ws/x/stepwise');
  assert.equal(expandPath('~/bin/dotnet', env([])), '/home/u/bin/dotnet');
  assert.equal(expandPath('  ', env([])), undefined);
  assert.equal(expandPath('rel/path', { ...env([]), workspaceFolder: undefined }), undefined);
});

test('the repository script is started as `stepwise lsp`', () => {
  const r = resolveServer('/src/stepwise/stepwise', ext, 'dotnet', env(['/src/stepwise/stepwise']));
  assert.ok(r.ok);
  if (r.ok) { assert.equal(r.command, '/src/stepwise/stepwise'); assert.deepEqual(r.args, ['lsp']); }
});

test('an apphost with its .dll beside it runs through the configured dotnet; alone it runs directly', () => {
  const both = resolveServer('/o/stepwise-lsp', ext, '/d/dotnet', env(['/o/stepwise-lsp', '/o/stepwise-lsp.dll']));
  assert.ok(both.ok);
  if (both.ok) { assert.equal(both.command, '/d/dotnet'); assert.deepEqual(both.args, ['/o/stepwise-lsp.dll']); }
  const alone = resolveServer('/o/stepwise-lsp', ext, '/d/dotnet', env(['/o/stepwise-lsp']));
  assert.ok(alone.ok);
  if (alone.ok) { assert.equal(alone.command, '/o/stepwise-lsp'); assert.deepEqual(alone.args, []); }
});

test('a setting that points nowhere is reported with the expanded path', () => {
  const r = resolveServer('missing/stepwise-lsp.dll', ext, 'dotnet', env([]));
  assert.deepEqual(r, { ok: false, message: 'stepwise.server.path points at /ws/missing/stepwise-lsp.dll, which does not exist.' });
  const d = resolveDotnet('/nope/dotnet', env([]));
  assert.deepEqual(d, { ok: false, message: 'stepwise.dotnet.path points at /nope/dotnet, which does not exist.' });
});

test('dotnet: empty setting means PATH; a set one must exist', () => {
  const p = resolveDotnet('', env([]));
  assert.ok(p.ok && p.command === 'dotnet' && p.source === 'path');
  const s = resolveDotnet('/usr/share/dotnet/dotnet', env(['/usr/share/dotnet/dotnet']));
  assert.ok(s.ok && s.command === '/usr/share/dotnet/dotnet' && s.source === 'setting');
});
