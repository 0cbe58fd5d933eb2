// The manifest (package.json) against the code and the brief: every command the code registers is contributed,
// settings mirror the server's section, trust restrictions name the process paths.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Commands, LAUNCHERS, SCHEMA_FILES, SECTION, ServerCommands, Settings, TASK_TYPE } from '../src/constants';
import { documentSelector } from '../src/selector';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));

test('engines and the client major fit VS Code 1.82 / Node 20; @types/vscode matches engines', () => {
  assert.equal(pkg.engines.vscode, '^1.82.0');
  assert.match(pkg.devDependencies['@types/vscode'], /^~1\.82\./);
  assert.match(pkg.dependencies['vscode-languageclient'], /^\^9\./);
  assert.match(lock.packages['node_modules/vscode-languageclient'].version, /^9\./);
  assert.equal(lock.packages['node_modules/vscode-languageclient'].engines?.vscode, '^1.82.0');
  assert.equal(pkg.main, './dist/extension.js');
});

test('every command id is contributed with a title, and nothing else is', () => {
  const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual(contributed, Object.values(Commands).sort());
  const titles = Object.fromEntries(pkg.contributes.commands.map((c: { command: string; title: string }) => [c.command, c.title]));
  assert.deepEqual([titles['stepwise.train'], titles['stepwise.stop'], titles['stepwise.showOutput'], titles['stepwise.checkWorkspace'], titles['stepwise.showLossCurve']],
    ['Train', 'Stop', 'Show Output', 'Check Workspace', 'Show Loss Curve']);
});

test('settings mirror the server section and the launch settings', () => {
  const props = pkg.contributes.configuration.properties;
  const keys = Object.values(Settings).map(s => `${SECTION}.${s}`).sort();
  assert.deepEqual(Object.keys(props).sort(), keys);
  assert.deepEqual(props['stepwise.launcher'].enum, [...LAUNCHERS]);
  assert.deepEqual(props['stepwise.severity'].additionalProperties.enum, ['off', 'hint', 'info', 'warning', 'error']);
  assert.equal(props['stepwise.epochThreshold'].default, 2.0, 'the server default (ServerSettings.EpochThreshold)');
  assert.equal(props['stepwise.transformersVersion'].default, '', 'the server default (ServerSettings.TransformersVersion: detected, else the newest known)');
  assert.equal(props['stepwise.forTrainer'].default, '', 'the server default (ServerSettings.ForBundledTrainer: false)');
  assert.deepEqual(props['stepwise.forTrainer'].enum, ['', 'stepwise'], 'the values ServerSettings.Parse accepts');
});

test('workspace trust: limited, with the process paths and the launcher restricted; train/stop run and refuse themselves', () => {
  const t = pkg.capabilities.untrustedWorkspaces;
  assert.equal(t.supported, 'limited');
  assert.deepEqual([...t.restrictedConfigurations].sort(), ['stepwise.dotnet.path', 'stepwise.launcher', 'stepwise.server.path', 'stepwise.trainer.path']);
  // No enablement clause: a disabled palette entry is skipped by Enter, which then runs the next match. The commands
  // run and explain Restricted Mode themselves (trust.ts); only the editor-title button is hidden.
  for (const c of pkg.contributes.commands) assert.equal(c.enablement, undefined, c.command);
  assert.match(pkg.contributes.menus['editor/title/run'][0].when, /isWorkspaceTrusted/);
});

test('no contributed command id is in the server\'s namespace (stepwise.server.*)', () => {
  for (const c of pkg.contributes.commands) assert.doesNotMatch(c.command, /^stepwise\.server\./);
  for (const id of Object.values(ServerCommands)) assert.match(id, /^stepwise\.server\./);
});

test('jsonValidation points at schemas/<dialect>.schema.json for each shipped schema', () => {
  const urls = pkg.contributes.jsonValidation.map((v: { url: string }) => v.url).sort();
  assert.deepEqual(urls, SCHEMA_FILES.map(f => `./schemas/${f}`).sort());
  for (const v of pkg.contributes.jsonValidation) assert.ok(v.fileMatch.length > 0 && v.fileMatch.every((g: string) => g.endsWith('.json')));
});

test('task type and activation cover the selector languages', () => {
  const def = pkg.contributes.taskDefinitions[0];
  assert.equal(def.type, TASK_TYPE);
  assert.deepEqual(def.required, ['config']);
  const langs = new Set(documentSelector().map(f => f.language));
  assert.deepEqual([...langs].sort(), ['json', 'jsonc', 'python', 'yaml']);
  for (const l of langs) assert.ok(pkg.activationEvents.includes(`onLanguage:${l}`), l);
  assert.ok(documentSelector().some(f => 'notebook' in f && f.language === 'python'));
});

test('.vscodeignore keeps node_modules and sources out', () => {
  const ignore = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n').map(l => l.trim());
  assert.equal(ignore.find(l => l && !l.startsWith('#')), '**', 'everything is excluded first');
  assert.ok(!ignore.some(l => l.startsWith('!node_modules')));
  assert.ok(ignore.includes('!dist/extension.js'));
});
