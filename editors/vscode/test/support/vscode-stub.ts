// A small hand-written stand-in for the `vscode` module: just the API surface the extension's tested modules use,
// recording what they do so tests can assert it. Not a simulation of VS Code.
import * as path from 'node:path';

export const recorded = {
  contexts: new Map<string, unknown>(),
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as Array<{ id: string; args: unknown[] }>,
  statusItems: [] as StatusBarItem[],
  messages: [] as Array<{ level: string; message: string; actions: string[] }>,
  messageAnswer: undefined as string | undefined,
};

export function reset(): void {
  recorded.contexts.clear();
  recorded.commands.clear();
  recorded.executed.length = 0;
  recorded.statusItems.length = 0;
  recorded.messages.length = 0;
  recorded.messageAnswer = undefined;
  workspace.isTrusted = true;
  workspace.workspaceFolders = undefined;
}

export class Uri {
  private constructor(readonly scheme: string, readonly fsPath: string, private readonly raw: string) {}
  static file(p: string): Uri { return new Uri('file', p, 'file://' + p.split(path.sep).map(encodeURIComponent).join('/')); }
  static parse(s: string): Uri {
    const m = /^([a-z][\w+.-]*):(?:\/\/)?(.*)$/i.exec(s);
    if (!m) throw new Error(`not a URI: ${s}`);
    return m[1] === 'file' ? Uri.file(decodeURIComponent(m[2])) : new Uri(m[1], '', s);
  }
  toString(): string { return this.raw; }
}

export class Disposable {
  constructor(private readonly fn: () => void) {}
  static from(...all: Array<{ dispose(): unknown }>): Disposable { return new Disposable(() => all.forEach(d => d.dispose())); }
  dispose(): void { this.fn(); }
}

export class EventEmitter<T> {
  private listeners: Array<(e: T) => void> = [];
  event = (l: (e: T) => void) => { this.listeners.push(l); return new Disposable(() => { this.listeners = this.listeners.filter(x => x !== l); }); };
  fire(e: T): void { this.listeners.forEach(l => l(e)); }
  dispose(): void { this.listeners = []; }
}

export enum StatusBarAlignment { Left = 1, Right = 2 }

export class ThemeColor { constructor(readonly id: string) {} }

export class StatusBarItem {
  text = '';
  tooltip: string | undefined;
  name: string | undefined;
  command: string | undefined;
  backgroundColor: ThemeColor | undefined;
  visible = false;
  disposed = false;
  constructor(readonly id: string, readonly alignment: StatusBarAlignment, readonly priority: number) {}
  show(): void { this.visible = true; }
  hide(): void { this.visible = false; }
  dispose(): void { this.disposed = true; this.visible = false; }
}

function message(level: string) {
  return (m: string, ...actions: string[]) => {
    recorded.messages.push({ level, message: m, actions });
    return Promise.resolve(recorded.messageAnswer);
  };
}

export const window = {
  createStatusBarItem(id: string, alignment: StatusBarAlignment, priority: number): StatusBarItem {
    const item = new StatusBarItem(id, alignment, priority);
    recorded.statusItems.push(item);
    return item;
  },
  showInformationMessage: message('info'),
  showWarningMessage: message('warning'),
  showErrorMessage: message('error'),
};

export const commands = {
  registerCommand(id: string, fn: (...args: unknown[]) => unknown): Disposable {
    if (recorded.commands.has(id)) throw new Error(`command '${id}' already exists`);
    recorded.commands.set(id, fn);
    return new Disposable(() => recorded.commands.delete(id));
  },
  executeCommand(id: string, ...args: unknown[]): Promise<unknown> {
    recorded.executed.push({ id, args });
    if (id === 'setContext') recorded.contexts.set(String(args[0]), args[1]);
    const fn = recorded.commands.get(id);
    return Promise.resolve(fn ? fn(...args) : undefined);
  },
};

export interface WorkspaceFolder { uri: Uri; name: string; index: number }

export const workspace = {
  isTrusted: true,
  workspaceFolders: undefined as WorkspaceFolder[] | undefined,
  getWorkspaceFolder(uri: Uri): WorkspaceFolder | undefined {
    return this.workspaceFolders?.find(f => uri.fsPath === f.uri.fsPath || uri.fsPath.startsWith(f.uri.fsPath + path.sep));
  },
  asRelativePath(uri: Uri, _includeFolder?: boolean): string {
    const f = this.getWorkspaceFolder(uri);
    return f ? path.relative(f.uri.fsPath, uri.fsPath).split(path.sep).join('/') : uri.fsPath;
  },
};

export class ShellExecution {
  constructor(readonly command: string, readonly args: string[], readonly options?: { cwd?: string }) {}
}

export interface Pseudoterminal { onDidWrite: (l: (s: string) => void) => Disposable; onDidClose?: (l: (n: number) => void) => Disposable; open(): void; close(): void }

export class CustomExecution {
  constructor(readonly callback: () => Promise<Pseudoterminal>) {}
}

export enum TaskRevealKind { Always = 1, Silent = 2, Never = 3 }
export enum TaskPanelKind { Shared = 1, Dedicated = 2, New = 3 }
export class TaskGroup { static Build = new TaskGroup('build'); constructor(readonly id: string) {} }

export class Task {
  group: TaskGroup | undefined;
  detail: string | undefined;
  presentationOptions: unknown;
  constructor(readonly definition: { type: string; [k: string]: unknown }, readonly scope: WorkspaceFolder, readonly name: string,
    readonly source: string, readonly execution: ShellExecution | CustomExecution, readonly problemMatchers: string[]) {}
}
