// The real language server, started the way the extension starts it: resolveServer's command and arguments plus the
// `--stdio` that TransportKind.stdio appends. Runs when a published server is at hand (server/ after `npm run package`:
// the native stepwise-lsp or the universal stepwise-lsp.dll; or $STEPWISE_SERVER_DLL); skipped otherwise.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StreamMessageReader, StreamMessageWriter, createProtocolConnection, InitializeRequest, ShutdownRequest, ExitNotification, InitializedNotification, DidOpenTextDocumentNotification, PublishDiagnosticsNotification, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node';
import { resolveServer } from '../src/paths';

const root = path.resolve(__dirname, '../..');
const dll = process.env.STEPWISE_SERVER_DLL ?? path.join(root, 'server/stepwise-lsp.dll');
const native = path.join(root, 'server/stepwise-lsp');
const hasNative = !process.env.STEPWISE_SERVER_DLL && fs.existsSync(native) && !fs.existsSync(path.join(root, 'server/stepwise-lsp.runtimeconfig.json'));
const hasDotnet = !spawnSync('dotnet', ['--version']).error;
const skip = hasNative ? false : !hasDotnet ? 'no dotnet' : !fs.existsSync(dll) ? `no published server in ${path.dirname(dll)} (npm run package)` : false;

test('the server speaks LSP with the extension\'s launch arguments', { skip, timeout: 120_000 }, async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-lsp-'));
  const r = resolveServer(process.env.STEPWISE_SERVER_DLL ?? '', root, 'dotnet', { platform: process.platform, home: os.homedir(), workspaceFolder: ws, exists: p => fs.existsSync(p) });
  assert.ok(r.ok, JSON.stringify(r));
  if (!r.ok) return;
  const child = spawn(r.command, [...r.args, '--stdio'], { cwd: ws, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', d => (stderr += d));
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const diagnostics = new Promise<PublishDiagnosticsParams>(resolve => conn.onNotification(PublishDiagnosticsNotification.type, p => resolve(p)));
  conn.onRequest('workspace/configuration', () => [{ epochThreshold: 2 }]);
  conn.listen();
  try {
    const init = await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid, rootUri: `file://${ws}`, workspaceFolders: [{ uri: `file://${ws}`, name: 'ws' }],
      capabilities: { workspace: { configuration: true, executeCommand: { dynamicRegistration: true } }, window: { workDoneProgress: true } },
      initializationOptions: { client: 'vscode', extensionVersion: 'test' },
    });
    assert.equal(init.serverInfo?.name, 'stepwise-lsp');
    assert.ok(init.capabilities.textDocumentSync, 'document sync offered');
    await conn.sendNotification(InitializedNotification.type, {});
    // A config whose max_steps decides the length while epochs are also set: the server must answer with diagnostics.
    const uri = `file://${ws}/train.yaml`;
    const text = 'model_name_or_path: meta-llama/Llama-3.1-8B\nstage: sft\ndo_train: true\nfinetuning_type: lora\n' +
      'dataset: alpaca_en\nper_device_train_batch_size: 4\ngradient_accumulation_steps: 4\nnum_train_epochs: 3\nmax_steps: 1000\noutput_dir: out\n';
    fs.writeFileSync(path.join(ws, 'train.yaml'), text);
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`no diagnostics in 60 s; stderr:\n${stderr}`)), 60_000); });
    const d = await Promise.race([diagnostics, late]).finally(() => clearTimeout(timer));
    assert.equal(d.uri, uri);
    await conn.sendRequest(ShutdownRequest.type);
    await conn.sendNotification(ExitNotification.type);
    const code = await new Promise<number | null>(resolve => child.on('exit', c => resolve(c)));
    assert.equal(code, 0, stderr);
  } finally {
    conn.dispose();
    child.kill();
  }
});
