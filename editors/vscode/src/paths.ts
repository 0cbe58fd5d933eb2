import * as path from 'node:path';

/** What path resolution needs from the outside world; the extension passes node:fs and the real environment. */
export interface PathEnv {
  platform: NodeJS.Platform;
  home: string;
  /** The first workspace folder, for relative settings and ${workspaceFolder}. */
  workspaceFolder?: string;
  exists(p: string): boolean;
}

/** Expands `~` and `${workspaceFolder}` and makes a relative path absolute against the workspace folder. */
export function expandPath(raw: string, env: PathEnv): string | undefined {
  let p = raw.trim();
  if (p === '') return undefined;
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) p = path.join(env.home, p.slice(1));
  if (p.includes('${workspaceFolder}')) {
    if (!env.workspaceFolder) return undefined;
    p = p.split('${workspaceFolder}').join(env.workspaceFolder);
  }
  if (!isAbsolute(p, env.platform)) {
    if (!env.workspaceFolder) return undefined;
    p = path.join(env.workspaceFolder, p);
  }
  return p;
}

function isAbsolute(p: string, platform: NodeJS.Platform): boolean {
  return platform === 'win32' ? path.win32.isAbsolute(p) : path.posix.isAbsolute(p);
}

export type Resolved =
  | { ok: true; command: string; args: string[]; source: 'setting' | 'bundled' | 'path'; needsDotnet: boolean; display: string }
  | { ok: false; message: string };

/** `stepwise.dotnet.path`, else `dotnet` from PATH. */
export function resolveDotnet(setting: string | undefined, env: PathEnv): Resolved {
  if (!setting || setting.trim() === '') {
    return { ok: true, command: 'dotnet', args: [], source: 'path', needsDotnet: false, display: 'dotnet (from PATH)' };
  }
  const p = expandPath(setting, env);
  if (!p) return { ok: false, message: `stepwise.dotnet.path "${setting}" is relative, and there is no workspace folder to resolve it against.` };
  if (!env.exists(p)) return { ok: false, message: `stepwise.dotnet.path points at ${p}, which does not exist.` };
  return { ok: true, command: p, args: [], source: 'setting', needsDotnet: false, display: p };
}

const SERVER_DLL = 'stepwise-lsp.dll';

/**
 * Where the language server is: the `stepwise.server.path` setting, else the copy published into the extension's
 * server/ folder (the Native AOT executable of a platform package, or the .dll of the universal one). Framework-dependent .dll files are started through dotnet so that `stepwise.dotnet.path` applies;
 * the repository's `stepwise` script is started as `stepwise lsp`.
 */
export function resolveServer(setting: string | undefined, extensionPath: string, dotnet: string, env: PathEnv): Resolved {
  if (setting && setting.trim() !== '') {
    const p = expandPath(setting, env);
    if (!p) return { ok: false, message: `stepwise.server.path "${setting}" is relative, and there is no workspace folder to resolve it against.` };
    if (!env.exists(p)) return { ok: false, message: `stepwise.server.path points at ${p}, which does not exist.` };
    return launchFor(p, dotnet, 'setting', env);
  }
  // A platform package carries the natively compiled server (no .NET needed); the universal one the .dll.
  const native = path.join(extensionPath, 'server', env.platform === 'win32' ? 'stepwise-lsp.exe' : 'stepwise-lsp');
  if (env.exists(native) && !env.exists(path.join(extensionPath, 'server', 'stepwise-lsp.runtimeconfig.json'))) {
    return { ok: true, command: native, args: [], source: 'bundled', needsDotnet: false, display: `${native} (native)` };
  }
  const bundled = path.join(extensionPath, 'server', SERVER_DLL);
  if (env.exists(bundled)) return launchFor(bundled, dotnet, 'bundled', env);
  return {
    ok: false,
    message:
      `This build of the extension has no bundled language server (${path.join('server', 'stepwise-lsp')} and ${path.join('server', SERVER_DLL)} are missing) and ` +
      'stepwise.server.path is not set. Set stepwise.server.path to stepwise-lsp (or the repository\'s stepwise script), ' +
      'or install a .vsix built with `npm run package`, which bundles the server.',
  };
}

function launchFor(p: string, dotnet: string, source: 'setting' | 'bundled', env: PathEnv): Resolved {
  const base = path.basename(p).toLowerCase();
  if (base.endsWith('.dll')) return { ok: true, command: dotnet, args: [p], source, needsDotnet: true, display: `${dotnet} ${p}` };
  if (base === 'stepwise' || base === 'stepwise.sh') {
    return { ok: true, command: p, args: ['lsp'], source, needsDotnet: true, display: `${p} lsp` };
  }
  // An apphost (stepwise-lsp, stepwise-lsp.exe) finds the runtime on its own; when its .dll sits beside it, start
  // that instead so a configured dotnet is used.
  const stem = base.replace(/\.exe$/, '');
  const dll = path.join(path.dirname(p), `${stem}.dll`);
  if (stem === 'stepwise-lsp' && env.exists(dll)) return { ok: true, command: dotnet, args: [dll], source, needsDotnet: true, display: `${dotnet} ${dll}` };
  return { ok: true, command: p, args: [], source, needsDotnet: stem === 'stepwise-lsp', display: p };
}
