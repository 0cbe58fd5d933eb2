// Start-up only: spawn the server N times; for each start, time spawn -> initialize answered and spawn -> first
// diagnostics of a 20-line config opened right after `initialized` (the same client sequence as bench.mjs), and
// read VmRSS after E edits of it. Prints min/median next to the machine's bare .NET start (stepwise-lsp --version)
// measured in between, so a loaded machine shows in the baseline too.
// Usage: node startup.mjs [--runs N] [--edits E] [--server PATH]... [--stderr]   (default: .build/stepwise-lsp/stepwise-lsp)
// Several --server options are measured in turn, start by start, so a change in the machine's load hits all alike.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import os from 'node:os';
import * as rpc from 'vscode-jsonrpc/node.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const argv = process.argv;
const arg = (name, def) => { const i = argv.indexOf(name); return i > 0 ? argv[i + 1] : def; };
const RUNS = Number(arg('--runs', 15));
const EDITS = Number(arg('--edits', 100));
const SHOW_STDERR = argv.includes('--stderr'); // print each start's stderr (STEPWISE_LSP_TRACE=1 puts milestones there)
const servers = argv.flatMap((a, i) => (a === '--server' ? [argv[i + 1]] : []));
if (servers.length === 0) servers.push(process.env.STEPWISE_LSP ?? path.join(root, '.build', 'stepwise-lsp', 'stepwise-lsp'));
for (const s of servers) if (!existsSync(s)) { console.error(`not built: ${s} (./stepwise lsp --version builds it)`); process.exit(2); }

const work = path.join(os.tmpdir(), 'stepwise-lsp-startup');
mkdirSync(work, { recursive: true });
const small = readFileSync(path.join(here, 'small.yaml'), 'utf8');
const file = path.join(work, 'train.yaml');
writeFileSync(file, small);
const uri = pathToFileURL(file).href;
const BATCH_LINE = small.split('\n').findIndex((l) => l.startsWith('per_device_train_batch_size:'));

// CPU time (user + system, all threads) the process has used so far, in ms: unlike wall time it barely depends on
// what else the machine runs, so it tells a change in work apart from a change in load.
const cpuMs = (pid) => {
  try { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; } catch { return NaN; }
};
const rssMb = (pid) => {
  try { const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8')); return m ? Number(m[1]) / 1024 : NaN; } catch { return NaN; }
};

async function once(server, edits) {
  const t0 = performance.now();
  const child = spawn(server, ['--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], cwd: root });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  const waiting = new Map();
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    const w = waiting.get(p.version);
    if (w) { waiting.delete(p.version); w(performance.now()); }
  });
  conn.onRequest('workspace/configuration', (p) => p.items.map(() => ({})));
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('client/unregisterCapability', () => null);
  conn.onNotification(() => {});
  conn.listen();
  const next = (version) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no diagnostics for v${version}; stderr:\n${stderr}`)), 30000);
    waiting.set(version, (t) => { clearTimeout(timer); resolve(t); });
  });
  await conn.sendRequest('initialize', {
    processId: process.pid, rootUri: pathToFileURL(work).href, workspaceFolders: [{ uri: pathToFileURL(work).href, name: 'startup' }],
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
      textDocument: { publishDiagnostics: { versionSupport: true }, synchronization: { didSave: true } },
    },
  });
  const init = performance.now() - t0;
  const initCpu = cpuMs(child.pid);
  conn.sendNotification('initialized', {});
  conn.sendNotification('workspace/didChangeConfiguration', { settings: { stepwise: {} } });
  const firstP = next(1);
  conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: small } });
  const first = (await firstP) - t0;
  const firstCpu = cpuMs(child.pid);
  let value = '128';
  for (let i = 0; i < edits; i++) {
    const nextValue = value === '128' ? '64' : '128';
    const p = next(i + 2);
    conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: i + 2 },
      contentChanges: [{ range: { start: { line: BATCH_LINE, character: 29 }, end: { line: BATCH_LINE, character: 29 + value.length } }, text: nextValue }],
    });
    await p;
    value = nextValue;
  }
  const rss = edits > 0 ? rssMb(child.pid) : NaN;
  try { await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]); conn.sendNotification('exit'); } catch { }
  await new Promise((r) => { const t = setTimeout(() => { child.kill(); r(); }, 2000); child.on('exit', () => { clearTimeout(t); r(); }); });
  conn.dispose();
  if (SHOW_STDERR) process.stderr.write(stderr);
  return { init, first, rss, initCpu, firstCpu };
}

function bare(server) {
  const t = performance.now();
  spawnSync(server, ['--version'], { stdio: 'ignore' });
  return performance.now() - t;
}

const stats = (xs) => { const s = xs.filter(Number.isFinite).sort((a, b) => a - b); return { min: s[0], med: s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2, max: s[s.length - 1] }; };
const load0 = os.loadavg();
const results = servers.map(() => ({ inits: [], firsts: [], rsss: [], bases: [], initCpus: [], firstCpus: [] }));
for (const s of servers) await once(s, 0); // warm the OS file cache; not counted
for (let i = 0; i < RUNS; i++) {
  for (let k = 0; k < servers.length; k++) {
    const r = results[k];
    r.bases.push(bare(servers[k]));
    // RSS after the edits from a third of the starts (each costs E round trips); start-up figures from all.
    const o = await once(servers[k], i % 3 === 0 ? EDITS : 0);
    r.inits.push(o.init); r.firsts.push(o.first); r.initCpus.push(o.initCpu); r.firstCpus.push(o.firstCpu); if (Number.isFinite(o.rss)) r.rsss.push(o.rss);
  }
}
const f = (s, d = 0) => s.min === undefined ? 'n/a' : `min ${s.min.toFixed(d)} / median ${s.med.toFixed(d)} / max ${s.max.toFixed(d)}`;
console.log(`${RUNS} starts each, ${os.cpus().length} CPUs; load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
servers.forEach((server, k) => {
  const r = results[k];
  console.log(`\n${server}`);
  console.log(`  bare .NET start (--version)              ${f(stats(r.bases))} ms`);
  console.log(`  start -> initialize answered             ${f(stats(r.inits))} ms   (target <= 200)`);
  console.log(`  start -> first diagnostics (20 lines)    ${f(stats(r.firsts))} ms   (target <= 350)`);
  console.log(`  CPU time used by initialize answered      ${f(stats(r.initCpus))} ms (10 ms ticks)`);
  console.log(`  CPU time used by first diagnostics        ${f(stats(r.firstCpus))} ms`);
  console.log(`  VmRSS after ${EDITS} edits (${r.rsss.length} starts)     ${f(stats(r.rsss), 1)} MB   (target <= 60)`);
});
process.exit(0);
