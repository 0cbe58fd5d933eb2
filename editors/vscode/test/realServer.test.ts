// Every command the manifest contributes, run through activate() against the real language server (the packaged
// Native AOT stepwise-lsp in server/, else ./stepwise lsp's build, else $STEPWISE_LSP_EXE) with the host stub standing
// in for VS Code; the trainer is the language-server tests' scripted one (FakeTrainer/fake-trainer.sh), so Train and
// Stop exercise the server's real process supervision without TorchSharp. The real VS Code runs in test/e2e.
import './support/register-host';
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as stub from './support/host-stub';

const root = path.resolve(__dirname, '../..');
const repo = path.resolve(root, '../..');
const server = [process.env.STEPWISE_LSP_EXE, path.join(root, 'server', 'stepwise-lsp'), path.join(repo, '.build', 'stepwise-lsp', 'stepwise-lsp')]
  .find((p): p is string => !!p && fs.existsSync(p) && !fs.existsSync(path.join(path.dirname(p), 'stepwise-lsp.runtimeconfig.json')));
const trainer = path.join(repo, 'tests', 'Stepwise.LanguageServer.Tests', 'FakeTrainer', 'fake-trainer.sh');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const skip = server ? false : 'no native stepwise-lsp built (run `npm run package` or `./stepwise lsp --version` first, or set STEPWISE_LSP_EXE)';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-real-'));
const seed = '# stepwise: dataset_size=52002\nper_device_train_batch_size: 128\nmax_steps: 1000\nnum_train_epochs: 3\n';
const trainable = (mode: string) => `# fake: ${mode}\nlearning_rate: 0.0002\nper_device_train_batch_size: 8\nnum_train_epochs: 1\n`;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ext = require('../src/extension') as typeof import('../src/extension');
const context = { subscriptions: [] as Array<{ dispose(): unknown }>, extensionPath: dir, extension: { packageJSON: { version: '0.0.0-test' } } };
const cmd = (id: string, ...args: unknown[]) => stub.recorded.commands.get(id)!(...args);
const bar = () => stub.recorded.statusItems.find(i => i.id === 'stepwise.run')!;
const until = async (what: string, ok: () => boolean, ms = 30000) => {
  const end = Date.now() + ms;
  while (!ok()) { if (Date.now() > end) throw new Error(`timed out waiting for ${what}; log:\n${stub.host.log.join('\n')}`); await new Promise(r => setTimeout(r, 25)); }
};
const tested = new Set<string>();

before(async () => {
  if (!server) return;
  fs.writeFileSync(path.join(dir, 'ok.yaml'), trainable('success'));
  fs.writeFileSync(path.join(dir, 'stop.yaml'), trainable('cancel'));
  fs.mkdirSync(path.join(dir, 'configs'));
  fs.writeFileSync(path.join(dir, 'configs', 'seed.yaml'), seed);
  stub.host.config['stepwise.server.path'] = server;
  stub.host.config['stepwise.trainer.path'] = trainer;
  stub.host.config['stepwise.trainer.graceSeconds'] = 2;
  stub.workspace.workspaceFolders = [{ uri: stub.Uri.file(dir), name: 'ws', index: 0 }];
  await ext.activate(context as never);
});
after(async () => {
  if (!server) return;
  await ext.deactivate();
  // Against the real server the client library leaves two timers running after stop in this stubbed host (VS Code's
  // extension host never waits for them); end the process once the results are out instead of hanging `npm test`.
  setTimeout(() => process.exit(), 2000);
});

test('the real server starts and advertises its own command namespace', { skip }, () => {
  assert.ok(stub.host.log.some(l => l.includes(`starting the language server: ${server}`)), stub.host.log.join('\n'));
  assert.ok(stub.host.log.some(l => l.includes('server commands: stepwise.server.train, stepwise.server.stop, stepwise.server.runs, stepwise.server.checkWorkspace')), stub.host.log.join('\n'));
});

test('stepwise.train: the run is supervised by the server, progress reaches the notification, the answer finishes it', { skip }, async () => {
  const png = path.join(dir, 'out', 'loss_curve.png');
  fs.mkdirSync(path.dirname(png), { recursive: true });
  fs.writeFileSync(png, 'png');
  const before = stub.host.progress.length;
  await cmd('stepwise.train', stub.Uri.file(path.join(dir, 'ok.yaml')).toString());
  const p = stub.host.progress[before];
  assert.equal(p.title, 'Stepwise: training ok.yaml');
  assert.ok(p.reports.some(r => r.message === 'step 3/3 · epoch 1.00 · loss 2.000 · ETA 0s'), JSON.stringify(p.reports));
  assert.equal(p.done, true);
  assert.equal(bar().text, '$(check) Stepwise 3/3 · loss 2');
  assert.match(String(bar().tooltip), new RegExp(`Adapter: ${path.join(dir, 'out', 'adapter_model.safetensors').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  tested.add('stepwise.train');
});

test('stepwise.showLossCurve: opens the curve the run reported, beside the config', { skip }, async () => {
  stub.recorded.executed.length = 0;
  await cmd('stepwise.showLossCurve', stub.Uri.file(path.join(dir, 'ok.yaml')).toString());
  const open = stub.recorded.executed.find(e => e.id === 'vscode.open');
  assert.ok(open, JSON.stringify(stub.recorded.executed));
  assert.equal((open!.args[0] as stub.Uri).fsPath, path.join(dir, 'out', 'loss_curve.png'));
  tested.add('stepwise.showLossCurve');
});

test('stepwise.stop: the server sends SIGINT, the trainer saves and the run ends as cancelled', { skip }, async () => {
  const before = stub.host.progress.length;
  const uri = stub.Uri.file(path.join(dir, 'stop.yaml')).toString();
  const run = cmd('stepwise.train', uri) as Promise<void>;
  await until('the run to report step 1', () => stub.host.progress[before]?.reports.some(r => r.message?.startsWith('step 1/100')) === true);
  await cmd('stepwise.stop', uri);
  await run;
  assert.match(bar().text, /^\$\(debug-stop\) Stepwise 1\/100/);
  tested.add('stepwise.stop');
});

test('stepwise.checkWorkspace: the unopened config is analysed and the summary shown', { skip }, async () => {
  stub.recorded.messages.length = 0;
  await cmd('stepwise.checkWorkspace');
  const info = stub.recorded.messages.find(m => m.message.startsWith('Stepwise: checked'));
  // ok.yaml, stop.yaml and configs/seed.yaml are configs; seed.yaml has SW1001 and SW1002.
  assert.equal(info?.message, 'Stepwise: checked 3 configs in 3 files: 0 errors, 2 warnings.', JSON.stringify(stub.recorded.messages));
  assert.ok(stub.recorded.executed.some(e => e.id === 'workbench.actions.view.problems'));
  // What the Problems view gets: the unopened seed config's findings, published by the server.
  const seedUri = [...stub.diagnostics.keys()].find(u => u.endsWith('/configs/seed.yaml'));
  assert.ok(seedUri, [...stub.diagnostics.keys()].join(', '));
  assert.deepEqual(stub.diagnostics.get(seedUri!), ['SW1001', 'SW1002']);
  tested.add('stepwise.checkWorkspace');
});

test('stepwise.showOutput: shows the log channel, where each server line appears once', { skip }, async () => {
  await cmd('stepwise.showOutput');
  assert.equal(stub.host.log.at(-1), 'show');
  const checked = stub.host.log.filter(l => /check workspace: 3 configs in 3 files/.test(l));
  assert.equal(checked.length, 1, checked.join('\n'));
  tested.add('stepwise.showOutput');
});

test('stepwise.restartServer: a new server starts and answers', { skip }, async () => {
  const starts = () => stub.host.log.filter(l => l.includes('starting the language server')).length;
  const before = starts();
  await cmd('stepwise.restartServer');
  assert.equal(starts(), before + 1);
  stub.recorded.messages.length = 0;
  await cmd('stepwise.checkWorkspace');
  assert.ok(stub.recorded.messages.some(m => m.message.startsWith('Stepwise: checked 3 configs')), JSON.stringify(stub.recorded.messages));
  tested.add('stepwise.restartServer');
});

test('every contributed command was run against the real server above', { skip }, () => {
  const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual([...tested].sort(), contributed);
});
