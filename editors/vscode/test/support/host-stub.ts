// The small stub (vscode-stub.ts) plus what vscode-languageclient touches while starting: explicit pieces where the
// test looks (configuration, output channel, progress, commands) and an inert catch-all for the rest (events that
// never fire, registrations that return disposables). Base classes the client extends are plain classes.
import * as base from './vscode-stub';

export * from './vscode-stub';

export const host = {
  config: {} as Record<string, unknown>,
  log: [] as string[],
  progress: [] as Array<{ title?: string; reports: Array<{ message?: string; increment?: number }>; cancel: () => void; done?: boolean }>,
};

export function inert(name: string): unknown {
  const fn = function () { return inert(`${name}()`); };
  return new Proxy(fn, {
    get(_t, p) {
      if (p === 'then') return undefined;
      if (p === Symbol.iterator) return function* () { /* empty */ };
      if (p === Symbol.toPrimitive) return () => name;
      if (p === 'dispose') return () => undefined;
      if (p === 'length') return 0;
      return inert(`${name}.${String(p)}`);
    },
    apply() { return { dispose: () => undefined }; },
    construct() { return inert(`new ${name}`) as object; },
  });
}

function withFallback<T extends object>(name: string, real: T): T {
  return new Proxy(real, { get: (t, p) => (p in t ? (t as Record<string | symbol, unknown>)[p] : p === 'then' ? undefined : inert(`${name}.${String(p)}`)) });
}

class Plain { constructor(..._a: unknown[]) { /* fields set by subclasses */ } }
export class CodeLens extends Plain {}
export class CompletionItem extends Plain {}
export class DocumentLink extends Plain {}
export class InlayHint extends Plain {}
export class SymbolInformation extends Plain {}
export class CallHierarchyItem extends Plain {}
export class TypeHierarchyItem extends Plain {}
export class CodeAction extends Plain {}
export class Diagnostic extends Plain {}
export class CancellationError extends Error {}
export class Range extends Plain {}
export class Position extends Plain {}
export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }
export enum ViewColumn { Active = -1, Beside = -2, One = 1 }

export class CancellationTokenSource {
  private listeners: Array<() => void> = [];
  isCancellationRequested = false;
  readonly token: { readonly isCancellationRequested: boolean; onCancellationRequested(l: () => void): { dispose(): void } };
  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the token's getter reads its source
    const src = this;
    this.token = {
      get isCancellationRequested() { return src.isCancellationRequested; },
      onCancellationRequested: (l: () => void) => { src.listeners.push(l); return { dispose: () => undefined }; },
    };
  }
  cancel(): void { if (!this.isCancellationRequested) { this.isCancellationRequested = true; this.listeners.forEach(l => l()); } }
  dispose(): void { this.listeners = []; }
}

function channel(name: string) {
  const line = (level: string) => (m: string) => { host.log.push(`${level}: ${m}`); };
  return withFallback(`channel(${name})`, {
    name, info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug'), trace: line('trace'),
    append: (m: string) => host.log.push(`append: ${m}`), appendLine: (m: string) => host.log.push(`append: ${m}`),
    show: () => host.log.push('show'), dispose: () => undefined, clear: () => undefined, logLevel: 2,
    onDidChangeLogLevel: () => ({ dispose: () => undefined }),
  });
}

export const window = withFallback('window', {
  ...base.window,
  createOutputChannel: (name: string) => channel(name),
  withProgress: <R>(opts: { title?: string }, task: (p: { report(m: object): void }, t: { isCancellationRequested: boolean; onCancellationRequested(l: () => void): unknown }) => Promise<R>) => {
    const src = new CancellationTokenSource();
    const entry = { title: opts.title, reports: [] as Array<{ message?: string; increment?: number }>, cancel: () => src.cancel(), done: false };
    host.progress.push(entry);
    return task({ report: m => entry.reports.push(m) }, src.token).finally(() => { entry.done = true; });
  },
  activeTextEditor: undefined as unknown,
  activeNotebookEditor: undefined as unknown,
  visibleTextEditors: [],
  tabGroups: { all: [] },
});

export const workspace = withFallback('workspace', Object.assign(base.workspace, {
  textDocuments: [],
  notebookDocuments: [],
  getConfiguration: (section?: string) => withFallback('configuration', {
    get: <T>(key: string, dflt?: T) => {
      const full = section ? `${section}.${key}` : key;
      if (full in host.config) return host.config[full] as T;
      if (section === undefined && key === 'stepwise') return Object.fromEntries(Object.entries(host.config).filter(([k]) => k.startsWith('stepwise.')).map(([k, v]) => [k.slice(9), v])) as T;
      return dflt;
    },
    has: () => false,
    inspect: () => undefined,
    update: () => Promise.resolve(),
  }),
}));

export const commands = withFallback('commands', base.commands);
/** What the client publishes: the codes of the diagnostics last set per URI (push diagnostics, workspace check). */
export const diagnostics = new Map<string, string[]>();
export const languages = withFallback('languages', {
  createDiagnosticCollection: (name?: string) => withFallback(`diagnostics(${name ?? ''})`, {
    name,
    set: (uri: { toString(): string }, list?: Array<{ code?: unknown }>) => {
      diagnostics.set(uri.toString(), (list ?? []).map(d => String(typeof d.code === 'object' && d.code !== null ? (d.code as { value: unknown }).value : d.code)));
    },
    delete: (uri: { toString(): string }) => { diagnostics.delete(uri.toString()); },
    clear: () => diagnostics.clear(),
    dispose: () => undefined,
    forEach: () => undefined,
    get: (uri: { toString(): string }) => diagnostics.get(uri.toString()),
    has: (uri: { toString(): string }) => diagnostics.has(uri.toString()),
  }),
});
export const env = withFallback('env', { openExternal: () => Promise.resolve(true), language: 'en', appName: 'stub' });
export const extensions = inert('extensions');
export const tasks = withFallback('tasks', { registerTaskProvider: () => ({ dispose: () => undefined }) });
export const notebooks = inert('notebooks');
export const version = '1.82.0';
