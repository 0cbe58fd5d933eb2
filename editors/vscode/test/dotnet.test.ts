import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkDotnet, classify, dotnetMessage, parseRuntimes } from '../src/dotnet';

const LIST = `Microsoft.AspNetCore.App 8.0.11 [/usr/share/dotnet/shared/Microsoft.AspNetCore.App]
Microsoft.NETCore.App 8.0.11 [/usr/share/dotnet/shared/Microsoft.NETCore.App]
Microsoft.NETCore.App 10.0.0-rc.2.25502.107 [/usr/share/dotnet/shared/Microsoft.NETCore.App]
Microsoft.WindowsDesktop.App 10.0.1 [C:\\Program Files\\dotnet\\shared\\Microsoft.WindowsDesktop.App]\r
`;

test('parses dotnet --list-runtimes, prereleases and CRLF included', () => {
  assert.deepEqual(parseRuntimes(LIST).map(r => `${r.name}@${r.version}/${r.major}`), [
    'Microsoft.AspNetCore.App@8.0.11/8',
    'Microsoft.NETCore.App@8.0.11/8',
    'Microsoft.NETCore.App@10.0.0-rc.2.25502.107/10',
    'Microsoft.WindowsDesktop.App@10.0.1/10',
  ]);
});

test('classify: ok with a .NET 10 core runtime, old with only 8, missing on ENOENT, failed on non-zero exit', () => {
  assert.deepEqual(classify({ code: 0, stdout: LIST, stderr: '' }), { kind: 'ok', version: '10.0.0-rc.2.25502.107' });
  assert.deepEqual(classify({ code: 0, stdout: LIST.split('\n').slice(0, 2).join('\n'), stderr: '' }), { kind: 'old', found: ['8.0.11'] });
  const enoent = Object.assign(new Error('spawn dotnet ENOENT'), { code: 'ENOENT' });
  assert.deepEqual(classify({ error: enoent, code: null, stdout: '', stderr: '' }), { kind: 'missing', detail: 'not found' });
  assert.deepEqual(classify({ code: 1, stdout: '', stderr: 'boom\nmore' }), { kind: 'failed', detail: 'boom' });
  // An SDK-less host that lists only ASP.NET is still "old": the server needs Microsoft.NETCore.App.
  assert.deepEqual(classify({ code: 0, stdout: 'Microsoft.AspNetCore.App 10.0.1 [/x]', stderr: '' }), { kind: 'old', found: [] });
});

test('the message says what is missing, where it looked, and links the download', () => {
  const m = dotnetMessage({ kind: 'missing', detail: 'not found' }, { command: 'dotnet', fromSetting: false })!;
  assert.match(m, /needs \.NET 10/);
  assert.match(m, /on PATH/);
  assert.match(m, /https:\/\/dotnet\.microsoft\.com\/download\/dotnet\/10\.0/);
  assert.match(m, /set stepwise\.dotnet\.path/);
  const old = dotnetMessage({ kind: 'old', found: ['8.0.11'] }, { command: '/opt/dotnet', fromSetting: true })!;
  assert.match(old, /at \/opt\/dotnet \(stepwise\.dotnet\.path\) has only 8\.0\.11/);
  assert.match(old, /correct stepwise\.dotnet\.path/);
  assert.equal(dotnetMessage({ kind: 'ok', version: '10.0.1' }, { command: 'dotnet', fromSetting: false }), undefined);
});

test('checkDotnet spawns: a missing executable is "missing", a fake dotnet with only 8.0 is "old"', async () => {
  assert.equal((await checkDotnet('/nonexistent/dir/dotnet')).kind, 'missing');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-dotnet-'));
  const fake = path.join(dir, 'dotnet');
  fs.writeFileSync(fake, '#!/bin/sh\n[ "$1" = --list-runtimes ] || exit 3\necho "Microsoft.NETCore.App 8.0.11 [/x]"\n', { mode: 0o755 });
  assert.deepEqual(await checkDotnet(fake), { kind: 'old', found: ['8.0.11'] });
  fs.writeFileSync(fake, '#!/bin/sh\necho "corrupt install" >&2\nexit 2\n', { mode: 0o755 });
  assert.deepEqual(await checkDotnet(fake), { kind: 'failed', detail: 'corrupt install' });
});

test('agrees with the real dotnet on this machine, when there is one', { skip: spawnSync('dotnet', ['--version']).error ? 'no dotnet on PATH' : false }, async () => {
  const raw = spawnSync('dotnet', ['--list-runtimes'], { encoding: 'utf8' }).stdout;
  const expected = raw.split('\n').filter(l => l.startsWith('Microsoft.NETCore.App ')).length;
  assert.equal(parseRuntimes(raw).filter(r => r.name === 'Microsoft.NETCore.App').length, expected);
  const check = await checkDotnet('dotnet');
  assert.equal(check.kind, /Microsoft\.NETCore\.App (1\d|[2-9]\d)\./.test(raw) ? 'ok' : 'old');
});
