// Drives the built stepwise-lsp over stdio with vscode-jsonrpc (the framing library under vscode-languageclient):
// open the seed config, receive SW1001, ask for code actions, apply the preferred edit, see SW1001 disappear.
// Run: npm ci && node --test   (the server: $STEPWISE_LSP, else .build/stepwise-lsp from `./stepwise lsp`, else a dotnet build output)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import os from 'node:os';
import * as rpc from 'vscode-jsonrpc/node.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function serverPath() {
  const candidates = [
    process.env.STEPWISE_LSP,
    path.join(root, '.build', 'stepwise-lsp', 'stepwise-lsp'),
    path.join(root, 'src', 'LanguageServer', 'Stepwise.LanguageServer', 'bin', 'Release', 'net10.0', 'stepwise-lsp'),
    path.join(root, 'src', 'LanguageServer', 'Stepwise.LanguageServer', 'bin', 'Debug', 'net10.0', 'stepwise-lsp'),
  ].filter(Boolean);
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  // Not built yet: build it the way users get it (the script publishes into .build/stepwise-lsp).
  execFileSync(path.join(root, 'stepwise'), ['lsp', '--version'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 15 * 60 * 1000 });
  return candidates[1];
}

/** Applies LSP TextEdits (UTF-16 positions, non-overlapping) to a text, last edit first. */
function applyEdits(text, edits) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const offset = (p) => Math.min((starts[p.line] ?? text.length) + p.character, p.line + 1 < starts.length ? starts[p.line + 1] : text.length);
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  for (const e of sorted) text = text.slice(0, offset(e.range.start)) + e.newText + text.slice(offset(e.range.end));
  return text;
}

test('SW1001 is published, fixed by the preferred code action, and gone after the edit', async () => {
  const child = spawn(serverPath(), ['--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const connection = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));

  const waiters = [];
  connection.onNotification('textDocument/publishDiagnostics', (params) => {
    for (const w of [...waiters]) if (w.match(params)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(params); }
  });
  const diagnosticsFor = (uri, version) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no diagnostics for version ${version}; server log:\n${stderr}`)), 20000);
    waiters.push({ match: (p) => p.uri === uri && p.version === version, resolve: (p) => { clearTimeout(timer); resolve(p); } });
  });
  connection.listen();

  const init = await connection.sendRequest('initialize', {
    processId: process.pid, rootUri: null,
    capabilities: { workspace: { workspaceEdit: { documentChanges: true } }, textDocument: { publishDiagnostics: { versionSupport: true } } },
  });
  assert.equal(init.capabilities.textDocumentSync.change, 2);
  assert.equal(init.capabilities.positionEncoding, 'utf-16');
  await connection.sendNotification('initialized', {});

  const text = '# stepwise: dataset_size=52002\nper_device_train_batch_size: 128\nmax_steps: 1000\nnum_train_epochs: 3\n';
  const uri = pathToFileURL(path.join(os.tmpdir(), 'stepwise-node-test', 'train.yaml')).href;
  const first = diagnosticsFor(uri, 1);
  await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  const published = await first;
  const sw1001 = published.diagnostics.find((d) => d.code === 'SW1001');
  assert.ok(sw1001, `SW1001 expected, got ${JSON.stringify(published.diagnostics)}`);
  // ceil(52,002 / 128) = 407 steps per epoch; 1000 / 407 = 2.46 epochs.
  assert.match(sw1001.message, /^max_steps=1000 trains 2\.46 epochs/);
  assert.deepEqual(sw1001.range, { start: { line: 2, character: 11 }, end: { line: 2, character: 15 } });

  const actions = await connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri }, range: sw1001.range, context: { diagnostics: [sw1001] },
  });
  const preferred = actions.find((a) => a.isPreferred);
  assert.equal(preferred.title, 'Replace max_steps by num_train_epochs: 3');
  assert.equal(preferred.kind, 'quickfix');
  const [docEdit] = preferred.edit.documentChanges;
  assert.deepEqual(docEdit.textDocument, { uri, version: 1 });
  const fixed = applyEdits(text, docEdit.edits);
  assert.equal(fixed, '# stepwise: dataset_size=52002\nper_device_train_batch_size: 128\nnum_train_epochs: 3\n');

  const second = diagnosticsFor(uri, 2);
  await connection.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: docEdit.edits.map((e) => ({ range: e.range, text: e.newText })),
  });
  const after = await second;
  assert.equal(after.diagnostics.filter((d) => d.code === 'SW1001').length, 0);
  assert.deepEqual(after.diagnostics, []);

  await connection.sendRequest('shutdown');
  await connection.sendNotification('exit');
  assert.equal(await exited, 0);
  connection.dispose();
});
