// The packaged extension in a real VS Code: code-server 4.100.3 (VS Code 1.100.3) in Debian's headless Chromium,
// driven by playwright-core. The .vsix is the one `npm run package` builds (the linux-x64 package with the Native AOT
// server), installed with `code-server --install-extension`, exactly as a user would. Each step checks what the page
// shows; a failing step leaves a screenshot in out/e2e/.
//   node --test --test-reporter=tap test/e2e/vscode.e2e.mjs
//   STEPWISE_E2E_VSIX=path.vsix  another package
//   STEPWISE_E2E_TRAIN=real  Train runs the real trainer on the demo (the repository's `stepwise train`: minutes on a
//   CPU); by default Train runs on a config whose trainer is the language-server tests' scripted one
//   (FakeTrainer/fake-trainer.sh), so the editor side (command, progress notification, end message) is checked in
//   seconds while the real trainer is covered end to end by Train/EndToEndTests.cs and scripts/test-tool-package.sh.
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const extRoot = path.resolve(here, '../..');
const repo = path.resolve(extRoot, '../..');
const shots = path.join(extRoot, 'out', 'e2e');
const realTrain = process.env.STEPWISE_E2E_TRAIN === 'real';
const fakeTrainer = path.join(repo, 'tests/Stepwise.LanguageServer.Tests/FakeTrainer/fake-trainer.sh');
const started = Date.now();

let csDir, entry, chromium, vsix, work;
const servers = [];

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitFor(what, ok, ms) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { if (await ok()) return; } catch (e) { last = e; }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** A code-server on a free port with its own user data and extensions, the .vsix installed, `folder` open. */
async function startCodeServer(name, folder, { trust }) {
  const user = path.join(work, `${name}-user`), exts = path.join(work, `${name}-extensions`);
  fs.mkdirSync(path.join(user, 'User'), { recursive: true });
  const trainer = realTrain ? path.join(repo, 'stepwise') : fakeTrainer;
  fs.writeFileSync(path.join(user, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'security.workspace.trust.enabled': trust === 'ask',
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'always',
    'editor.inlayHints.enabled': 'on',
    'editor.codeLens': true,
    'editor.hover.delay': 100,
    'stepwise.trainer.path': trainer,
  }, null, 2));
  const cs = [entry, '--user-data-dir', user, '--extensions-dir', exts];
  sh(process.execPath, [...cs, '--install-extension', vsix]);
  const port = await freePort();
  const args = [...cs, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
    '--disable-getting-started-override', ...(trust === 'ask' ? [] : ['--disable-workspace-trust']), folder];
  const log = fs.openSync(path.join(work, `${name}-code-server.log`), 'w');
  // Its own process group, so that ending it also ends the processes it forks (extension host, file watcher).
  const child = spawn(process.execPath, args, { stdio: ['ignore', log, log], detached: true, env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` } });
  servers.push(child);
  await waitFor(`code-server ${name} on port ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 60_000);
  return { url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`, log: path.join(work, `${name}-code-server.log`) };
}

async function openBrowser(name) {
  const context = await chromium.launchPersistentContext(path.join(work, `${name}-chromium`), {
    executablePath: process.env.STEPWISE_E2E_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1600, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  return { context, page };
}

/** Runs `body`; on failure saves a screenshot named after the step and rethrows with its path. */
async function step(page, name, body) {
  try {
    return await body();
  } catch (e) {
    fs.mkdirSync(shots, { recursive: true });
    const file = path.join(shots, `${name.replace(/[^a-z0-9]+/gi, '-')}.png`);
    await page.screenshot({ path: file }).catch(() => undefined);
    e.message = `${e.message}\n(screenshot: ${file})`;
    throw e;
  }
}

async function command(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/** Opens a file of the workspace from the Explorer (folders expanded on the way), as a person would. */
async function openFile(page, rel) {
  const parts = rel.split('/');
  for (let i = 0; i < parts.length; i++) {
    const name = new RegExp(`^${parts[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const row = page.locator('.explorer-folders-view .monaco-list-row', { has: page.locator('.label-name', { hasText: name }) }).first();
    await row.waitFor({ timeout: 30_000 });
    if (i < parts.length - 1) {
      if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    } else {
      await row.dblclick();
    }
  }
  await page.locator('.tab.active', { hasText: parts.at(-1) }).waitFor({ timeout: 15_000 });
}

// The editor renders spaces (and an inlay hint's padding) as no-break spaces: compare with plain ones.
/** Shows the Problems panel (Ctrl+Shift+M toggles it, and the extension may have opened it already). */
async function showProblems(page) {
  if (!(await page.locator('.markers-panel').isVisible())) await page.keyboard.press('Control+Shift+M');
  await page.locator('.markers-panel').waitFor({ timeout: 15_000 });
}

const editorText = page => page.locator('.editor-group-container.active .view-lines').innerText().then(t => t.replace(/[\u00a0\s]+/g, ' '));
const notifications = page => page.locator('.notifications-toasts, .notifications-center').allInnerTexts().then(t => t.join('\n'));

before(async () => {
  csDir = sh('bash', [path.join(here, 'setup-code-server.sh')], { stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
  entry = path.join(csDir, 'node_modules/code-server/out/node/entry.js');
  chromium = createRequire(path.join(csDir, 'package.json'))('playwright-core').chromium;
  vsix = process.env.STEPWISE_E2E_VSIX ?? path.join(extRoot, 'stepwise-linux-x64.vsix');
  if (!fs.existsSync(vsix)) sh(process.execPath, [path.join(extRoot, 'scripts/package.mjs'), '--target', 'linux-x64'], { cwd: extRoot, stdio: 'inherit' });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'stepwise-e2e-'));
});

after(async () => {
  for (const s of servers) { try { process.kill(-s.pid, 'SIGTERM'); } catch { s.kill('SIGTERM'); } }
  console.log(`# e2e wall time ${((Date.now() - started) / 1000).toFixed(1)} s (work folder ${work})`);
});

test('the packaged extension in VS Code 1.100: diagnostics, inlay hint, code lens, Problems, hover, quick fix, Check Workspace, the demo, Train', { timeout: 2_400_000 }, async () => {
  const ws = path.join(work, 'ws');
  fs.mkdirSync(path.join(ws, 'unopened'), { recursive: true });
  fs.mkdirSync(path.join(ws, 'demo'), { recursive: true });
  fs.copyFileSync(path.join(repo, 'examples/seed/after.yaml'), path.join(ws, 'after.yaml'));
  fs.copyFileSync(path.join(repo, 'examples/seed/after.yaml'), path.join(ws, 'unopened', 'also-after.yaml'));
  for (const f of ['default-train.yaml', 'default-dataset.jsonl']) fs.copyFileSync(path.join(repo, 'src/Trainer/Stepwise.Trainer/Resources', f), path.join(ws, 'demo', f));
  // What the scripted trainer runs (its `# fake: MODE` line): three steps, a loss curve, an adapter.
  fs.writeFileSync(path.join(ws, 'demo', 'scripted.yaml'), '# fake: success\nlearning_rate: 0.0002\nper_device_train_batch_size: 8\nnum_train_epochs: 1\n');

  const { url } = await startCodeServer('trusted', ws, { trust: 'all' });
  const { context, page } = await openBrowser('trusted');
  try {
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    await step(page, 'open-seed-config', () => openFile(page, 'after.yaml'));

    await step(page, 'squiggles', () => waitFor('two warning squiggles in after.yaml', async () =>
      (await page.locator('.editor-group-container.active .squiggly-warning').count()) >= 2, 90_000));
    await step(page, 'inlay-hint', () => waitFor('the inlay hint "= 2.46 epochs"', async () => (await editorText(page)).includes('= 2.46 epochs'), 30_000));
    await step(page, 'code-lens', () => waitFor('the code lens', async () => {
      const lens = (await page.locator('.editor-group-container.active .codelens-decoration').allInnerTexts()).join(' | ');
      return lens.includes('52,002 examples') && lens.includes('2.46 epochs') && lens.includes('Train');
    }, 30_000));

    await step(page, 'problems', async () => {
      await showProblems(page);
      await waitFor('SW1001 and SW1002 in Problems', async () => {
        const text = await page.locator('.markers-panel').innerText();
        return /SW1001/.test(text) && /SW1002/.test(text) && text.includes('after.yaml');
      }, 30_000);
    });

    await step(page, 'hover', async () => {
      await page.locator('.editor-group-container.active .view-line', { hasText: 'max_steps: 1000' }).locator('span', { hasText: 'max_steps' }).first().hover();
      await waitFor('the hover with the arithmetic', async () => {
        const hovers = (await page.locator('.monaco-hover').allInnerTexts()).join('\n');
        return hovers.includes('407') && hovers.includes('2.46');
      }, 30_000);
      await page.keyboard.press('Escape');
    });

    await step(page, 'quick-fix', async () => {
      await page.locator('.editor-group-container.active .view-line', { hasText: 'max_steps: 1000' }).click();
      await page.keyboard.press('Control+.');
      const wanted = 'Replace max_steps by num_train_epochs: 3';
      await page.locator('.action-widget .monaco-list-row', { hasText: wanted }).first().waitFor({ timeout: 20_000 });
      // The menu takes the keyboard (a pointer block covers the page while it is open): move to the fix, Enter.
      for (let i = 0; i < 8; i++) {
        if ((await page.locator('.action-widget .monaco-list-row.focused').getAttribute('aria-label')) === wanted) break;
        await page.keyboard.press('ArrowDown');
      }
      assert.equal(await page.locator('.action-widget .monaco-list-row.focused').getAttribute('aria-label'), wanted);
      await page.keyboard.press('Enter');
      await waitFor('the fix applied', async () => !(await editorText(page)).includes('max_steps: 1000'), 20_000);
      // max_steps replaced by the epochs it was meant to train: SW1001 (and SW1002, whose cause it was) are gone.
      await waitFor('SW1001 gone from Problems and the editor', async () => {
        const problems = await page.locator('.markers-panel').innerText();
        return !/SW1001/.test(problems) && (await page.locator('.editor-group-container.active .squiggly-warning').count()) === 0;
      }, 30_000);
      assert.match(await editorText(page), /num_train_epochs: 3/);
      await page.keyboard.press('Control+S');
    });

    await step(page, 'check-workspace', async () => {
      await command(page, 'Stepwise: Check Workspace');
      await waitFor('the Check Workspace summary', async () => /Stepwise: checked \d+ configs? in \d+ files?/.test(await notifications(page)), 60_000);
      await showProblems(page);
      await waitFor('the unopened config in Problems', async () => (await page.locator('.markers-panel').innerText()).includes('also-after.yaml'), 30_000);
    });

    await step(page, 'demo', async () => {
      await openFile(page, 'demo/default-train.yaml');
      await waitFor('the demo code lens with its real numbers', async () => {
        const lens = (await page.locator('.editor-group-container.active .codelens-decoration').allInnerTexts()).join(' | ');
        return lens.includes('332 examples') && lens.includes('21 steps') && lens.includes('1.0 epoch');
      }, 60_000);
      assert.equal(await page.locator('.editor-group-container.active .squiggly-warning, .editor-group-container.active .squiggly-error, .editor-group-container.active .squiggly-info').count(), 0, 'the demo has no finding');
    });

    const config = realTrain ? 'default-train.yaml' : 'scripted.yaml';
    await step(page, 'train', async () => {
      if (!realTrain) await openFile(page, 'demo/scripted.yaml');
      await command(page, 'Stepwise: Train');
      await waitFor('the training notification', async () => (await notifications(page)).includes(`Stepwise: training ${config}`), 60_000);
      await waitFor('the end message', async () => new RegExp(`Training ${config.replace('.', '\\.')}: done\\. Adapter: .*adapter_model\\.safetensors`).test(await notifications(page)), realTrain ? 1_800_000 : 60_000);
      await waitFor('the status bar', async () => /Stepwise \d+\/\d+ · loss/.test(await page.locator('.statusbar').innerText()), 30_000);
    });
    if (realTrain) assert.ok(fs.existsSync(path.join(ws, 'demo', 'outputs', 'stepwise-demo', 'adapter_model.safetensors')), 'the adapter was written');
  } finally {
    await context.close();
  }
});

test('Restricted Mode: Stepwise: Train is refused with the reason, analysis still works', { timeout: 300_000 }, async () => {
  const ws = path.join(work, 'untrusted');
  fs.mkdirSync(ws, { recursive: true });
  fs.copyFileSync(path.join(repo, 'examples/seed/after.yaml'), path.join(ws, 'after.yaml'));
  const { url } = await startCodeServer('untrusted', ws, { trust: 'ask' });
  const { context, page } = await openBrowser('untrusted');
  try {
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    await step(page, 'restricted-open', () => openFile(page, 'after.yaml'));
    await step(page, 'restricted-diagnostics', () => waitFor('warnings in Restricted Mode', async () =>
      (await page.locator('.editor-group-container.active .squiggly-warning').count()) >= 2, 90_000));
    await step(page, 'restricted-train', async () => {
      await command(page, 'Stepwise: Train');
      await waitFor('the Restricted Mode refusal', async () => (await notifications(page)).includes('disabled in Restricted Mode'), 30_000);
    });
    assert.doesNotMatch(await notifications(page), /training after\.yaml/);
  } finally {
    await context.close();
  }
});
