import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
  WorkDoneProgress,
  State,
} from 'vscode-languageclient/node';
import { Commands, DOTNET_DOWNLOAD_URL, RUN_STATUS_NOTIFICATION, SECTION, ServerCommands, Settings, TASK_TYPE } from './constants';
import { checkDotnet, dotnetMessage } from './dotnet';
import { findLossCurve } from './lossCurve';
import { type PathEnv, expandPath, resolveDotnet, resolveServer } from './paths';
import { type WorkDoneValue, applyRunStatus, applyWorkDone } from './progress';
import { RunStatusBar } from './runStatusBar';
import { documentSelector, isTrainable } from './selector';
import { StepwiseTaskProvider } from './taskProvider';
import { gate } from './trust';

let client: LanguageClient | undefined;
let log: vscode.LogOutputChannel;
let statusBar: RunStatusBar;
/** Runs started from this window, by config URI: one at a time per config; Stop can cancel their request. */
const runs = new Map<string, vscode.CancellationTokenSource>();
/** LSP's RequestCancelled error code. */
const RequestCancelled = -32800;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  log = vscode.window.createOutputChannel('Stepwise', { log: true });
  statusBar = new RunStatusBar();
  context.subscriptions.push(log, statusBar);

  const register = (id: string, run: (...args: unknown[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      if (!(await gate(id, trustDeps))) return;
      try { return await run(...args); } catch (e) { showError(`${id} failed: ${errorText(e)}`); }
    }));
  register(Commands.train, (...a) => train(a[0]));
  register(Commands.stop, (...a) => stop(a[0]));
  register(Commands.showOutput, () => log.show(true));
  register(Commands.checkWorkspace, () => checkWorkspace());
  register(Commands.showLossCurve, (...a) => showLossCurve(a[0]));
  register(Commands.restartServer, () => restart(context));

  context.subscriptions.push(
    vscode.tasks.registerTaskProvider(TASK_TYPE, new StepwiseTaskProvider({
      settings: folder => taskSettings(folder),
      isTrusted: () => vscode.workspace.isTrusted,
      activeConfig: () => {
        const doc = vscode.window.activeTextEditor?.document;
        return doc && doc.uri.scheme === 'file' && isTrainable(doc.languageId) ? doc.uri : undefined;
      },
    })),
    vscode.workspace.onDidChangeConfiguration(e => {
      if (['server.path', 'dotnet.path'].some(k => e.affectsConfiguration(`${SECTION}.${k}`))) {
        void vscode.window.showInformationMessage('Stepwise: the server or .NET path changed.', 'Restart Server')
          .then(c => { if (c) void restart(context); });
      }
    }),
    // Workspace values of the restricted settings take effect once the folder is trusted.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void restart(context)),
  );

  await start(context);
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop().catch(() => undefined);
}

const trustDeps = {
  isTrusted: () => vscode.workspace.isTrusted,
  showWarning: (m: string, ...actions: string[]) => vscode.window.showWarningMessage(m, ...actions),
  manageTrust: () => vscode.commands.executeCommand('workbench.trust.manage'),
};

function pathEnv(): PathEnv {
  return {
    platform: process.platform,
    home: os.homedir(),
    workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    exists: p => fs.existsSync(p),
  };
}

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function taskSettings(folder: vscode.WorkspaceFolder) {
  const c = vscode.workspace.getConfiguration(SECTION, folder.uri);
  const env = { ...pathEnv(), workspaceFolder: folder.uri.fsPath };
  const dotnet = resolveDotnet(c.get<string>(Settings.dotnetPath), env);
  return {
    launcher: c.get<string>(Settings.launcher),
    trainerPath: expandPath(c.get<string>(Settings.trainerPath) ?? '', env),
    dotnet: dotnet.ok ? dotnet.command : 'dotnet',
    worldSize: c.get<number | null>(Settings.worldSize) ?? undefined,
  };
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const env = pathEnv();
  const c = config();
  const dotnet = resolveDotnet(c.get<string>(Settings.dotnetPath), env);
  if (!dotnet.ok) return showStartProblem(dotnet.message);
  const server = resolveServer(c.get<string>(Settings.serverPath), context.extensionPath, dotnet.command, env);
  if (!server.ok) return showStartProblem(server.message);
  if (server.needsDotnet) {
    const check = await checkDotnet(dotnet.command);
    const message = dotnetMessage(check, { command: dotnet.command, fromSetting: dotnet.source === 'setting' });
    if (message) return showStartProblem(message, true);
    if (check.kind === 'ok') log.info(`.NET runtime ${check.version} (${dotnet.display})`);
  }
  if (server.source === 'bundled' && !server.needsDotnet) ensureExecutable(server.command);
  log.info(`starting the language server: ${server.display} (${server.source})`);

  const serverOptions: ServerOptions = {
    command: server.command,
    args: server.args,
    transport: TransportKind.stdio,
    options: { cwd: env.workspaceFolder ?? path.dirname(server.command), env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(),
    outputChannel: log,
    synchronize: { configurationSection: SECTION },
    initializationOptions: { client: 'vscode', extensionVersion: String(context.extension.packageJSON.version) },
    middleware: {
      // The server's "▶ Train" lens names its own command; here it runs the extension's, which shows the progress.
      provideCodeLenses: async (document, token, next) => (await next(document, token))?.map(lensForExtension),
    },
  };
  const lc = new LanguageClient('stepwise', 'Stepwise', serverOptions, clientOptions);
  lc.onDidChangeState(e => {
    if (e.newState === State.Stopped && client === lc) log.warn('the language server stopped');
  });
  lc.onNotification(RUN_STATUS_NOTIFICATION, (p: Record<string, unknown>) => {
    const key = typeof p.uri === 'string' ? p.uri : typeof p.token === 'string' ? p.token : 'run';
    statusBar.update(key, applyRunStatus(statusBar.get(key), p));
  });
  client = lc;
  try {
    await lc.start();
  } catch (e) {
    client = undefined;
    // A server that exits at once: the usual causes are a missing runtime or a broken path.
    showError(`Stepwise: the language server did not start (${errorText(e)}). Check stepwise.server.path and stepwise.dotnet.path; the output has the server's own messages.`);
    return;
  }
  log.info(`server commands: ${serverCommandIds(lc).join(', ') || '(none)'}`);
}

/** The ids the running server executes (its executeCommandProvider). */
function serverCommandIds(lc: LanguageClient): string[] {
  return lc.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
}

const CLIENT_FOR_SERVER: Record<string, string> = { [ServerCommands.train]: Commands.train, [ServerCommands.stop]: Commands.stop };

function lensForExtension(lens: vscode.CodeLens): vscode.CodeLens {
  const id = lens.command?.command;
  if (lens.command && id && CLIENT_FOR_SERVER[id]) lens.command = { ...lens.command, command: CLIENT_FOR_SERVER[id] };
  return lens;
}

/** A bundled native server unpacked without its execute bit (an unzip that drops modes) gets it back. */
function ensureExecutable(file: string): void {
  if (process.platform === 'win32') return;
  try { fs.accessSync(file, fs.constants.X_OK); } catch {
    try { fs.chmodSync(file, 0o755); log.info(`made ${file} executable`); } catch (e) { log.warn(`cannot make ${file} executable: ${errorText(e)}`); }
  }
}

function showStartProblem(message: string, dotnetMissing = false): void {
  log.error(message);
  const actions = dotnetMissing ? ['Install .NET', 'Open Settings', 'Show Output'] : ['Open Settings', 'Show Output'];
  void vscode.window.showErrorMessage(`Stepwise: ${message}`, ...actions).then(choice => {
    if (choice === 'Install .NET') void vscode.env.openExternal(vscode.Uri.parse(DOTNET_DOWNLOAD_URL));
    else if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', `@ext:stepwise-tools.stepwise ${SECTION}.`);
    else if (choice === 'Show Output') log.show(true);
  });
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await deactivate();
  await start(context);
}

function showError(message: string): void {
  log.error(message);
  void vscode.window.showErrorMessage(message, 'Show Output').then(c => { if (c) log.show(true); });
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The config a command acts on: its argument (a URI or URI string, as code lenses pass it), else the active editor. */
function targetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg !== '') return arg.includes('://') || arg.startsWith('file:') ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  if (arg && typeof arg === 'object' && 'uri' in arg) return targetUri((arg as { uri: unknown }).uri);
  const nb = vscode.window.activeNotebookEditor?.notebook;
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && doc.uri.scheme !== 'vscode-notebook-cell') return doc.uri;
  return nb?.uri ?? doc?.uri;
}

/** The running client, or an error telling the user why there is none. */
function requireServer(command: string): { lc: LanguageClient } | undefined {
  if (!client || !client.isRunning()) {
    showError('Stepwise: the language server is not running; see the output for why (Stepwise: Restart Language Server retries).');
    return undefined;
  }
  const has = serverCommandIds(client);
  if (!has.includes(command)) {
    showError(`Stepwise: this language server does not implement ${command} (it offers ${has.length ? has.join(', ') : 'no commands'}). ` +
      (command === ServerCommands.train ? 'The "stepwise" task (Terminal › Run Task) can still train.' : 'Update the server.'));
    return undefined;
  }
  return { lc: client };
}

async function train(arg: unknown): Promise<void> {
  const uri = targetUri(arg);
  if (!uri) { void vscode.window.showWarningMessage('Stepwise: open a training config to train.'); return; }
  const s = requireServer(ServerCommands.train);
  if (!s) return;
  const key = uri.toString();
  if (runs.has(key)) { void vscode.window.showInformationMessage(`Stepwise: ${path.basename(uri.fsPath)} is already training.`, 'Show Output').then(c => { if (c) log.show(true); }); return; }
  const token = `stepwise-train-${randomUUID()}`;
  const name = path.basename(uri.fsPath);
  // LSP: a client-created workDoneToken is valid until the response, so the server answers stepwise.train when
  // the run is over; cancelling is cancelling that request ($/cancelRequest), which the server turns into SIGINT.
  const cancel = new vscode.CancellationTokenSource();
  runs.set(key, cancel);
  log.info(`train ${key}`);

  let report: ((m: { message?: string; increment?: number }) => void) | undefined;
  let reported = 0;
  const sub = s.lc.onProgress(WorkDoneProgress.type, token, value => {
    const v = value as unknown as WorkDoneValue;
    statusBar.update(key, { ...applyWorkDone(statusBar.get(key), v), config: key });
    const pct = typeof v.percentage === 'number' ? Math.max(0, Math.min(100, v.percentage)) : undefined;
    const increment = pct !== undefined && pct > reported ? pct - reported : undefined;
    if (pct !== undefined) reported = Math.max(reported, pct);
    if (v.kind !== 'end') report?.({ message: v.message, increment });
  });
  statusBar.update(key, { state: 'running', title: `Training ${name}`, config: key });
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Stepwise: training ${name}`, cancellable: true },
    async (progress, uiCancel) => {
      report = m => progress.report(m);
      uiCancel.onCancellationRequested(() => { log.info(`cancel requested for ${key}`); cancel.cancel(); });
      try {
        const result = await s.lc.sendRequest(ExecuteCommandRequest.type, { command: ServerCommands.train, arguments: [key], workDoneToken: token }, cancel.token);
        if (result !== null && result !== undefined) log.info(`train ${key} answered: ${JSON.stringify(result)}`);
        const answer = result && typeof result === 'object' ? (result as Record<string, unknown>) : {};
        const prev = statusBar.get(key);
        statusBar.update(key, applyRunStatus(prev, { state: prev?.state === 'running' ? 'finished' : prev?.state, ...answer, uri: key }));
      } catch (e) {
        const cancelled = cancel.token.isCancellationRequested || (e as { code?: number }).code === RequestCancelled;
        statusBar.update(key, { ...(statusBar.get(key) ?? { state: 'failed' }), state: cancelled ? 'cancelled' : 'failed', message: errorText(e) });
        if (cancelled) log.info(`training ${name} cancelled`);
        else showError(`Stepwise: training ${name} failed: ${errorText(e)}`);
      } finally {
        sub.dispose();
        runs.delete(key);
        cancel.dispose();
      }
    },
  );
}

async function stop(arg: unknown): Promise<void> {
  const running = statusBar.active();
  const uri = arg !== undefined ? targetUri(arg)
    : runs.size === 1 ? vscode.Uri.parse([...runs.keys()][0])
    : running.length === 1 ? vscode.Uri.parse(running[0][1].config ?? running[0][0])
    : targetUri(undefined);
  if (!uri) { void vscode.window.showInformationMessage('Stepwise: no run to stop.'); return; }
  const key = uri.toString();
  if (client?.isRunning() && serverCommandIds(client).includes(ServerCommands.stop)) {
    await client.sendRequest(ExecuteCommandRequest.type, { command: ServerCommands.stop, arguments: [key] });
    return;
  }
  // A server without stepwise.stop still stops a run started here when its request is cancelled.
  const run = runs.get(key);
  if (run) { run.cancel(); return; }
  if (requireServer(ServerCommands.stop)) void vscode.window.showInformationMessage(`Stepwise: no run of ${path.basename(uri.fsPath)} started from this window.`);
}

async function checkWorkspace(): Promise<void> {
  const s = requireServer(ServerCommands.checkWorkspace);
  if (!s) return;
  const folders = (vscode.workspace.workspaceFolders ?? []).filter(f => f.uri.scheme === 'file');
  if (folders.length === 0) { void vscode.window.showInformationMessage('Stepwise: open a folder to check its configs.'); return; }
  // files.exclude of each folder (the globs set to true), as the Explorer and search leave those files out.
  const exclude = new Set<string>();
  for (const f of folders) {
    const globs = vscode.workspace.getConfiguration('files', f.uri).get<Record<string, unknown>>('exclude') ?? {};
    for (const [glob, on] of Object.entries(globs)) if (on === true) exclude.add(glob);
  }
  const token = `stepwise-check-${randomUUID()}`;
  const args = [{ folders: folders.map(f => f.uri.toString()), exclude: [...exclude] }];
  const summary = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Stepwise: checking the workspace', cancellable: true },
    async (progress, cancel) => {
      let reported = 0;
      const sub = s.lc.onProgress(WorkDoneProgress.type, token, value => {
        const v = value as unknown as WorkDoneValue;
        if (v.kind === 'end') return;
        const pct = typeof v.percentage === 'number' ? Math.max(0, Math.min(100, v.percentage)) : undefined;
        progress.report({ message: v.message, increment: pct !== undefined && pct > reported ? pct - reported : undefined });
        if (pct !== undefined) reported = Math.max(reported, pct);
      });
      const source = new vscode.CancellationTokenSource();
      cancel.onCancellationRequested(() => source.cancel());
      try {
        return await s.lc.sendRequest(ExecuteCommandRequest.type, { command: ServerCommands.checkWorkspace, arguments: args, workDoneToken: token }, source.token) as CheckSummary | null;
      } catch (e) {
        if (source.token.isCancellationRequested || (e as { code?: number }).code === RequestCancelled) { log.info('check workspace cancelled'); return null; }
        throw e;
      } finally {
        sub.dispose();
        source.dispose();
      }
    });
  if (!summary) return;
  log.info(`check workspace: ${JSON.stringify(summary)}`);
  const n = (k: number, w: string) => `${k.toLocaleString('en-US')} ${w}${k === 1 ? '' : 's'}`;
  void vscode.window.showInformationMessage(
    `Stepwise: checked ${n(summary.configs, 'config')} in ${n(summary.files, 'file')}: ${n(summary.errors, 'error')}, ${n(summary.warnings, 'warning')}` +
    (summary.open > 0 ? ` (${n(summary.open, 'open file')} keep the diagnostics of the editor)` : '') + (summary.truncated ? '; stopped at the file limit' : '') + '.');
  void vscode.commands.executeCommand('workbench.actions.view.problems');
}

/** What the server's checkWorkspace answers. */
interface CheckSummary { files: number; configs: number; errors: number; warnings: number; information: number; open: number; truncated: boolean }

async function showLossCurve(arg: unknown): Promise<void> {
  const uri = targetUri(arg) ?? (statusBar.lastFor(undefined)?.config ? vscode.Uri.parse(statusBar.lastFor(undefined)!.config!) : undefined);
  if (!uri || uri.scheme !== 'file') { void vscode.window.showInformationMessage('Stepwise: open the training config whose loss curve you want.'); return; }
  const last = statusBar.lastFor(uri.toString());
  const png = findLossCurve(uri.fsPath, last?.lossCurvePath);
  if (!png) {
    void vscode.window.showInformationMessage(`Stepwise: no loss curve for ${path.basename(uri.fsPath)} yet (no loss*.png near it); train it first.`);
    return;
  }
  await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(png), { viewColumn: vscode.ViewColumn.Beside, preview: true });
}
