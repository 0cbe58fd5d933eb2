// Side-by-side benchmark of stepwise-lsp and yaml-language-server, one run, same client, same machine.
// For each server: spawn -> initialize answered; spawn -> first diagnostics of an opened config; edit -> diagnostics
// (p50/p90) on a 20-line config and on a 2 MB config; resident memory (VmRSS) after the edits.
// Usage: node bench.mjs [--edits N] [--big-edits N] [--no-script] [--server PATH]... [--no-yamlls]; run.sh builds our server and installs the npm packages first.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import os from 'node:os';
import * as rpc from 'vscode-jsonrpc/node.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : def; };
const EDITS = arg('--edits', 100);
const BIG_EDITS = arg('--big-edits', 20);
const BIG_EDITS_YAMLLS = arg('--big-edits-yamlls', 5);

const work = path.join(os.tmpdir(), 'stepwise-lsp-bench');
mkdirSync(work, { recursive: true });

const small = readFileSync(path.join(here, 'small.yaml'), 'utf8'); // the 20-line config (startup.mjs opens it too)
const BATCH_LINE = 4; // per_device_train_batch_size: 128

// 2 MB: the same config followed by a long list of per-dataset records (a config that inlines its data mix).
function bigConfig() {
  const parts = [small, 'dataset_mix:\n'];
  let size = small.length;
  for (let i = 0; size < 2 * 1024 * 1024; i++) {
    const item = `  - name: shard_${i}\n    path: data/shard_${i}.jsonl\n    weight: ${(i % 7) / 10 + 0.1}\n    split: train\n`;
    parts.push(item);
    size += item.length;
  }
  return parts.join('');
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN; };
const rssMb = (pid) => {
  try { const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8')); return m ? Number(m[1]) / 1024 : NaN; } catch { return NaN; }
};

async function measure(name, command, args, settings) {
  const smallPath = path.join(work, `${name.replace(/\W+/g, '_')}-train.yaml`);
  const bigPath = path.join(work, `${name.replace(/\W+/g, '_')}-big.yaml`);
  writeFileSync(smallPath, small);
  const big = bigConfig();
  writeFileSync(bigPath, big);
  const smallUri = pathToFileURL(smallPath).href, bigUri = pathToFileURL(bigPath).href;

  const t0 = performance.now();
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: root });
  child.stderr.on('data', () => {});
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  const waiting = new Map();
  const firstSeen = new Map();
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    const now = performance.now();
    if (!firstSeen.has(p.uri)) firstSeen.set(p.uri, now);
    const w = waiting.get(p.uri);
    if (w && (p.version === undefined || p.version === null || p.version >= w.version)) { waiting.delete(p.uri); w.resolve(now); }
  });
  conn.onRequest('workspace/configuration', (p) => p.items.map((i) => settings[i.section] ?? null));
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('client/unregisterCapability', () => null);
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.onNotification(() => {});
  conn.listen();
  const next = (uri, version) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no diagnostics for ${path.basename(uri)} v${version}`)), 60000);
    waiting.set(uri, { version, resolve: (t) => { clearTimeout(timer); resolve(t); } });
  });

  await conn.sendRequest('initialize', {
    processId: process.pid, rootUri: pathToFileURL(work).href, workspaceFolders: [{ uri: pathToFileURL(work).href, name: 'bench' }],
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
      textDocument: { publishDiagnostics: { versionSupport: true }, synchronization: { didSave: true } },
    },
  });
  const init = performance.now() - t0;
  conn.sendNotification('initialized', {});
  conn.sendNotification('workspace/didChangeConfiguration', { settings });

  const firstP = next(smallUri, 1);
  conn.sendNotification('textDocument/didOpen', { textDocument: { uri: smallUri, languageId: 'yaml', version: 1, text: small } });
  const first = (await firstP) - t0;

  // Edits: rewrite the batch value back and forth (128 <-> 64), one at a time, waiting for each edit's diagnostics.
  async function edits(uri, count, startVersion) {
    const times = [];
    let value = '128';
    for (let i = 0; i < count; i++) {
      const version = startVersion + i + 1;
      const nextValue = value === '128' ? '64' : '128';
      const p = next(uri, version);
      const t = performance.now();
      conn.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [{ range: { start: { line: BATCH_LINE, character: 29 }, end: { line: BATCH_LINE, character: 29 + value.length } }, text: nextValue }],
      });
      times.push((await p) - t);
      value = nextValue;
    }
    return times;
  }
  const smallTimes = await edits(smallUri, EDITS, 1);
  const rssSmall = rssMb(child.pid);
  conn.sendNotification('textDocument/didClose', { textDocument: { uri: smallUri } });

  const bigOpen = next(bigUri, 1);
  const tb = performance.now();
  conn.sendNotification('textDocument/didOpen', { textDocument: { uri: bigUri, languageId: 'yaml', version: 1, text: big } });
  const bigFirst = (await bigOpen) - tb;
  const bigTimes = await edits(bigUri, name.startsWith('yaml') ? BIG_EDITS_YAMLLS : BIG_EDITS, 1);
  const rssBig = rssMb(child.pid);

  try { await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]); conn.sendNotification('exit'); } catch { }
  setTimeout(() => child.kill(), 1000);
  return {
    name, init, first,
    smallP50: pct(smallTimes, 50), smallP90: pct(smallTimes, 90), rssSmall,
    bigFirst, bigP50: pct(bigTimes, 50), bigP90: pct(bigTimes, 90), rssBig, bigSize: big.length,
    edits: smallTimes.length, bigEdits: bigTimes.length,
  };
}

const schemaUri = pathToFileURL(path.join(here, 'training.schema.json')).href;
const yamlSettings = { yaml: { validate: true, hover: true, completion: true, schemas: { [schemaUri]: ['*.yaml'] } }, '[yaml]': {}, editor: {}, files: {}, http: {} };
const stepwiseSettings = { stepwise: {} };

const ours = process.env.STEPWISE_LSP ?? path.join(root, '.build', 'stepwise-lsp', 'stepwise-lsp');
if (!existsSync(ours)) { console.error(`not built: ${ours} (run bench/lsp/run.sh, which builds it through ./stepwise lsp)`); process.exit(2); }
const yamlls = path.join(here, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server');

// The machine's own start-up cost at this moment (other load slows every column alike): a .NET process that
// answers at once (stepwise-lsp --version) and an empty Node process, median of 5.
function startMs(command, args) {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    spawnSync(command, args, { stdio: 'ignore' });
    times.push(performance.now() - t);
  }
  return pct(times, 50);
}
const baseline = { dotnet: startMs(ours, ['--version']), node: startMs(process.execPath, ['-e', '0']) };

const results = [];
if (!process.argv.includes('--no-script')) results.push(await measure('stepwise (./stepwise lsp)', path.join(root, 'stepwise'), ['lsp', '--stdio'], stepwiseSettings));
// --server PATH (repeatable) measures those builds instead of STEPWISE_LSP/.build, e.g. ReadyToRun next to Native AOT;
// --no-yamlls leaves yaml-language-server out.
const extra = process.argv.flatMap((a, i) => (a === '--server' ? [process.argv[i + 1]] : []));
if (extra.length === 0) results.push(await measure('stepwise-lsp (exe)', ours, ['--stdio'], stepwiseSettings));
for (const s of extra) results.push(await measure(`stepwise-lsp (${path.basename(path.dirname(s))})`, s, ['--stdio'], stepwiseSettings));
if (!process.argv.includes('--no-yamlls')) results.push(await measure('yaml-language-server 1.25', process.execPath, [yamlls, '--stdio'], yamlSettings));

const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const rows = [
  ['start -> initialize answered (ms)', (r) => f(r.init), 'target <= 200'],
  ['start -> first diagnostics (ms)', (r) => f(r.first), 'target <= 350'],
  [`edit -> diagnostics p50, 20 lines (ms)`, (r) => f(r.smallP50, 1), ''],
  [`edit -> diagnostics p90, 20 lines (ms)`, (r) => f(r.smallP90, 1), 'target <= 15'],
  [`RSS after ${EDITS} edits, 20 lines (MB)`, (r) => f(r.rssSmall), 'target <= 60'],
  ['open -> diagnostics, 2 MB (ms)', (r) => f(r.bigFirst), ''],
  ['edit -> diagnostics p50, 2 MB (ms)', (r) => f(r.bigP50), ''],
  ['edit -> diagnostics p90, 2 MB (ms)', (r) => f(r.bigP90), 'target <= 100'],
  ['RSS after the 2 MB edits (MB)', (r) => f(r.rssBig), 'target <= 150'],
];
const widths = [40, ...results.map((r) => Math.max(12, r.name.length)), 14];
const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ');
console.log(`\n${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? ''}; 2 MB config = ${(results[0].bigSize / 1048576).toFixed(2)} MB; ` +
  `edits: ${EDITS} (20 lines), ${BIG_EDITS} (2 MB, ours) / ${BIG_EDITS_YAMLLS} (2 MB, yaml-language-server)\n`);
console.log(`baseline now: .NET process start (stepwise-lsp --version) ${baseline.dotnet.toFixed(0)} ms, node -e 0 ${baseline.node.toFixed(0)} ms; ` +
  `load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
console.log(line(['', ...results.map((r) => r.name), '']));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const [label, get, target] of rows) console.log(line([label, ...results.map(get), target]));
process.exit(0);
