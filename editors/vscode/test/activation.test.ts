// activate() against the host stub and a scripted LSP server (test/support/fake-server.ts) started through the
// stepwise.server.path setting: the real vscode-languageclient, the extension's own command routing, progress,
// status bar, trust gating and error paths. VS Code itself is not involved.
import './support/register-host';
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as stub from './support/host-stub';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-host-'));
const fake = path.join(dir, 'fake-lsp');
fs.writeFileSync(fake, `#!/bin/sh\nexec "${process.execPath}" "${path.join(__dirname, 'support/fake-server.js')}" "$@"\n`, { mode: 0o755 });

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ext = require('../src/extension') as typeof import('../src/extension');
const context = { subscriptions: [] as Array<{ dispose(): unknown }>, extensionPath: dir, extension: { packageJSON: { version: '0.0.0-test' } } };
const cmd = (id: string, ...args: unknown[]) => stub.recorded.commands.get(id)!(...args);
const bar = () => stub.recorded.statusItems.find(i => i.id === 'stepwise.run')!;
const until = async (what: string, ok: () => boolean, ms = 20000) => {
  const end = Date.now() + ms;
  while (!ok()) { if (Date.now() > end) throw new Error(`timed out waiting for ${what}; log:\n${stub.host.log.join('\n')}`); await new Promise(r => setTimeout(r, 20)); }
};

before(async () => {
  stub.host.config['stepwise.server.path'] = fake;
  stub.workspace.workspaceFolders = [{ uri: stub.Uri.file(dir), name: 'ws', index: 0 }];
  await ext.activate(context as never);
});
after(async () => { await ext.deactivate(); });

test('starts the configured server over stdio with --stdio and registers the commands', () => {
  assert.ok(stub.host.log.some(l => l.includes(`starting the language server: ${fake} (setting)`)), stub.host.log.join('\n'));
  assert.ok(stub.host.log.some(l => l.includes('fake server args: --stdio')), 'TransportKind.stdio appends --stdio');
  // The extension's own ids, and the server's (registered by the client's stock executeCommand feature) beside them:
  // different namespaces, so no registration collides.
  for (const id of ['stepwise.train', 'stepwise.stop', 'stepwise.showOutput', 'stepwise.checkWorkspace', 'stepwise.showLossCurve',
    'stepwise.server.train', 'stepwise.server.runs', 'stepwise.server.checkWorkspace']) {
    assert.ok(stub.recorded.commands.has(id), id);
  }
});

test('train: forwards with a work-done token; progress drives the notification and the status bar; the answer finishes it', async () => {
  const before = stub.host.progress.length;
  await cmd('stepwise.train', `file://${dir}/qlora.yaml`);
  const p = stub.host.progress[before];
  assert.equal(p.title, 'Stepwise: training qlora.yaml');
  assert.deepEqual(p.reports, [{ message: undefined, increment: undefined }, { message: 'step 1/2 · loss 2.0', increment: 50 }, { message: 'step 2/2 · loss 1.5', increment: 50 }]);
  assert.equal(p.done, true);
  assert.equal(bar().text, '$(check) Stepwise 2/2 · loss 1.5');
  assert.match(String(bar().tooltip), /Adapter: \/tmp\/out\/adapter/);
});

test('train refused by the server: the error is shown and the run marked failed', async () => {
  stub.recorded.messages.length = 0;
  await cmd('stepwise.train', `file://${dir}/bad.yaml`);
  const err = stub.recorded.messages.find(m => m.level === 'error');
  assert.ok(err, JSON.stringify(stub.recorded.messages));
  assert.match(err!.message, /training bad\.yaml failed: .*SW1001 max_steps fixed/);
  assert.match(bar().text, /^\$\(error\) Stepwise/);
});

test('cancel from the notification cancels the request; the run ends as cancelled', async () => {
  const before = stub.host.progress.length;
  const run = cmd('stepwise.train', `file://${dir}/slow.yaml`) as Promise<void>;
  await until('the slow run to report', () => stub.host.progress[before]?.reports.length === 2);
  assert.equal(stub.recorded.contexts.get('stepwise.runActive'), true);
  stub.host.progress[before].cancel();
  await run;
  assert.match(bar().text, /^\$\(debug-stop\) Stepwise 1\/2/);
  assert.equal(stub.recorded.contexts.get('stepwise.runActive'), false);
});

test('Show Loss Curve opens the PNG the run reported, beside the config', async () => {
  const png = path.join(dir, 'out', 'reported-loss.png');
  fs.mkdirSync(path.dirname(png), { recursive: true });
  fs.writeFileSync(png, 'png');
  stub.recorded.executed.length = 0;
  await cmd('stepwise.showLossCurve', `file://${dir}/qlora.yaml`);
  const open = stub.recorded.executed.find(e => e.id === 'vscode.open');
  assert.ok(open, JSON.stringify(stub.recorded.executed));
  assert.equal((open!.args[0] as stub.Uri).fsPath, png);
  assert.deepEqual(open!.args[1], { viewColumn: stub.ViewColumn.Beside, preview: true });
});

test('Check Workspace sends the folders and files.exclude, shows the progress and the summary', async () => {
  stub.recorded.messages.length = 0;
  stub.host.config['files.exclude'] = { '**/.git': true, '**/outputs': true, '**/kept': false };
  const before = stub.host.progress.length;
  try { await cmd('stepwise.checkWorkspace'); } finally { delete stub.host.config['files.exclude']; }
  const p = stub.host.progress[before];
  assert.equal(p.title, 'Stepwise: checking the workspace');
  assert.deepEqual(p.reports, [{ message: undefined, increment: undefined }, { message: '1/2 files · a.yaml', increment: 50 }]);
  await until('the server to log the arguments', () => stub.host.log.some(l => l.includes('fake server checkWorkspace args')));
  const args = stub.host.log.find(l => l.includes('fake server checkWorkspace args'))!;
  assert.ok(args.includes(JSON.stringify([{ folders: [stub.Uri.file(dir).toString()], exclude: ['**/.git', '**/outputs'] }])), args);
  assert.deepEqual(stub.recorded.messages.map(m => m.message), ['Stepwise: checked 1 config in 2 files: 0 errors, 2 warnings.']);
});

test('a command the server lacks is explained, not sent', async () => {
  stub.recorded.messages.length = 0;
  await cmd('stepwise.stop', `file://${dir}/nothing.yaml`);
  assert.match(stub.recorded.messages[0]?.message ?? '', /does not implement stepwise\.server\.stop \(it offers stepwise\.server\.train, stepwise\.server\.runs, stepwise\.server\.checkWorkspace\)/);
});

test('untrusted workspace: train is refused before anything reaches the server', async () => {
  stub.recorded.messages.length = 0;
  const before = stub.host.progress.length;
  stub.workspace.isTrusted = false;
  try { await cmd('stepwise.train', `file://${dir}/qlora.yaml`); } finally { stub.workspace.isTrusted = true; }
  assert.equal(stub.host.progress.length, before);
  assert.match(stub.recorded.messages[0]?.message ?? '', /Restricted Mode/);
});

test('a .NET that is too old: a clear error with Install .NET, and no server start', async () => {
  await ext.deactivate();
  context.subscriptions.splice(0).forEach(d => d.dispose());
  const dotnet = path.join(dir, 'dotnet');
  fs.writeFileSync(dotnet, '#!/bin/sh\necho "Microsoft.NETCore.App 8.0.11 [/x]"\n', { mode: 0o755 });
  const dll = path.join(dir, 'server', 'stepwise-lsp.dll');
  fs.mkdirSync(path.dirname(dll), { recursive: true });
  fs.writeFileSync(dll, '');
  stub.host.config['stepwise.server.path'] = '';
  stub.host.config['stepwise.dotnet.path'] = dotnet;
  stub.recorded.messages.length = 0;
  stub.host.log.length = 0;
  await ext.activate(context as never);
  const err = stub.recorded.messages.find(m => m.level === 'error');
  assert.ok(err, JSON.stringify(stub.recorded.messages));
  assert.equal(err!.message, `Stepwise: Stepwise's language server needs the .NET 10 runtime; dotnet at ${dotnet} (stepwise.dotnet.path) has only 8.0.11. ` +
    'Install the .NET 10 runtime from https://dotnet.microsoft.com/download/dotnet/10.0 or correct stepwise.dotnet.path.');
  assert.deepEqual(err!.actions, ['Install .NET', 'Open Settings', 'Show Output']);
  assert.ok(!stub.host.log.some(l => l.includes('starting the language server')));
});
