import { spawn } from 'node:child_process';
import { DOTNET_DOWNLOAD_URL, REQUIRED_DOTNET_MAJOR } from './constants';

export interface Runtime { name: string; version: string; major: number }

/** Parses `dotnet --list-runtimes`: lines such as `Microsoft.NETCore.App 10.0.12 [/usr/share/dotnet/shared/...]`. */
export function parseRuntimes(stdout: string): Runtime[] {
  const out: Runtime[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^\s*(\S+)\s+(\d+)\.(\d+)\.(\S+)\s+\[/.exec(line);
    if (m) out.push({ name: m[1], version: `${m[2]}.${m[3]}.${m[4]}`, major: Number(m[2]) });
  }
  return out;
}

export type DotnetCheck =
  | { kind: 'ok'; version: string }
  | { kind: 'missing'; detail: string }
  | { kind: 'failed'; detail: string }
  | { kind: 'old'; found: string[] };

export interface SpawnResult { error?: NodeJS.ErrnoException; code: number | null; stdout: string; stderr: string }

/** Decides from the outcome of `dotnet --list-runtimes` whether the server can run. */
export function classify(r: SpawnResult): DotnetCheck {
  if (r.error) {
    return { kind: 'missing', detail: r.error.code === 'ENOENT' ? 'not found' : r.error.message };
  }
  if (r.code !== 0) return { kind: 'failed', detail: (r.stderr || r.stdout).trim().split(/\r?\n/)[0] ?? `exit code ${r.code}` };
  const core = parseRuntimes(r.stdout).filter(x => x.name === 'Microsoft.NETCore.App');
  const good = core.filter(x => x.major >= REQUIRED_DOTNET_MAJOR).sort((a, b) => b.major - a.major);
  if (good.length > 0) return { kind: 'ok', version: good[0].version };
  return { kind: 'old', found: core.map(x => x.version) };
}

/** The message shown to the user, or undefined when .NET is fine. `dotnet` is how it was looked for. */
export function dotnetMessage(check: DotnetCheck, dotnet: { command: string; fromSetting: boolean }): string | undefined {
  const where = dotnet.fromSetting ? `at ${dotnet.command} (stepwise.dotnet.path)` : 'on PATH';
  const fix = `Install the .NET ${REQUIRED_DOTNET_MAJOR} runtime from ${DOTNET_DOWNLOAD_URL}` +
    (dotnet.fromSetting ? ' or correct stepwise.dotnet.path.' : ', or set stepwise.dotnet.path to your dotnet executable.');
  switch (check.kind) {
    case 'ok':
      return undefined;
    case 'missing':
      return `Stepwise's language server needs .NET ${REQUIRED_DOTNET_MAJOR}, and no dotnet was found ${where} (${check.detail}). ${fix}`;
    case 'failed':
      return `Stepwise's language server needs .NET ${REQUIRED_DOTNET_MAJOR}; \`${dotnet.command} --list-runtimes\` failed: ${check.detail}. ${fix}`;
    case 'old': {
      const found = check.found.length > 0 ? `only ${check.found.join(', ')}` : 'no Microsoft.NETCore.App runtime';
      return `Stepwise's language server needs the .NET ${REQUIRED_DOTNET_MAJOR} runtime; dotnet ${where} has ${found}. ${fix}`;
    }
  }
}

/** Runs `dotnet --list-runtimes` with a time limit. */
export function runListRuntimes(command: string, timeoutMs = 15000): Promise<SpawnResult> {
  return new Promise(resolve => {
    let stdout = '', stderr = '', settled = false;
    const done = (r: SpawnResult) => { if (!settled) { settled = true; clearTimeout(timer); resolve(r); } };
    const child = spawn(command, ['--list-runtimes'], { shell: false, windowsHide: true });
    const timer = setTimeout(() => {
      child.kill();
      done({ code: null, stdout, stderr: `no answer within ${timeoutMs / 1000} s`, error: undefined });
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error: NodeJS.ErrnoException) => done({ error, code: null, stdout, stderr }));
    child.on('close', code => done({ code, stdout, stderr }));
  });
}

export async function checkDotnet(command: string): Promise<DotnetCheck> {
  return classify(await runListRuntimes(command));
}
