// What a training run looks like to the status bar, built from the server's work-done progress values
// ($/progress begin/report/end) or from its optional stepwise/runStatus notification. Pure: no vscode import.

export type RunState = 'running' | 'finished' | 'failed' | 'cancelled';

export interface RunProgress {
  state: RunState;
  title?: string;
  message?: string;
  percentage?: number;
  step?: number;
  totalSteps?: number;
  epoch?: number;
  loss?: number;
  etaSeconds?: number;
  config?: string;
  adapterPath?: string;
  lossCurvePath?: string;
}

/** An LSP WorkDoneProgress value; servers may add step/totalSteps/epoch/loss/etaSeconds fields beside the standard ones. */
export interface WorkDoneValue {
  kind: 'begin' | 'report' | 'end';
  title?: string;
  message?: string;
  percentage?: number;
  cancellable?: boolean;
  [extra: string]: unknown;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Reads step/total, epoch, loss and ETA from a progress message when the server sends no structured fields.
 * Accepts the forms the server documents: `step 120/1000`, `120/1000`, `epoch 1.2`, `loss 1.234` (or `loss=1.234`),
 * `ETA 3m 20s` / `eta 200s` / `ETA 01:02:03`.
 */
export function parseMessage(message: string | undefined): Partial<RunProgress> {
  const out: Partial<RunProgress> = {};
  if (!message) return out;
  const steps = /(?:^|[\s([])(?:steps?\s*)?(\d[\d,]*)\s*\/\s*(\d[\d,]*)(?=$|[\s,;)\]·|])/i.exec(message);
  if (steps) {
    out.step = Number(steps[1].replace(/,/g, ''));
    out.totalSteps = Number(steps[2].replace(/,/g, ''));
  }
  const loss = /\bloss\s*[:=]?\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|nan|inf)/i.exec(message);
  if (loss) out.loss = loss[1].toLowerCase() === 'inf' ? Infinity : Number(loss[1]);
  const epoch = /\bepoch\s*[:=]?\s*(\d+(?:\.\d+)?)/i.exec(message);
  if (epoch) out.epoch = Number(epoch[1]);
  const eta = /\beta\s*[:=]?\s*((?:\d+:)?\d+:\d+|(?:\d+\s*h\s*)?(?:\d+\s*m(?:in)?\s*)?(?:\d+\s*s)?)/i.exec(message);
  if (eta && eta[1].trim() !== '') {
    const seconds = parseDuration(eta[1]);
    if (seconds !== undefined) out.etaSeconds = seconds;
  }
  return out;
}

function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(:\d+){1,2}$/.test(t)) return t.split(':').map(Number).reduce((acc, x) => acc * 60 + x, 0);
  const m = /^(?:(\d+)\s*h\s*)?(?:(\d+)\s*m(?:in)?\s*)?(?:(\d+)\s*s)?$/i.exec(t);
  if (!m || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** Folds one work-done value into the run's state. Structured fields win over what the message says. */
export function applyWorkDone(prev: RunProgress | undefined, v: WorkDoneValue): RunProgress {
  const base: RunProgress = v.kind === 'begin' || !prev ? { state: 'running', title: v.title ?? prev?.title } : { ...prev };
  const parsed = parseMessage(v.message);
  const next: RunProgress = {
    ...base,
    ...stripUndefined(parsed),
    ...stripUndefined({
      message: v.message,
      percentage: num(v.percentage),
      step: num(v.step),
      totalSteps: num(v.totalSteps) ?? num(v.total),
      epoch: num(v.epoch),
      loss: num(v.loss),
      etaSeconds: num(v.etaSeconds) ?? num(v.eta),
    }),
  };
  if (v.kind === 'end') {
    // The end value carries no status in LSP; a message that says so marks failure or cancellation.
    const m = (v.message ?? '').toLowerCase();
    next.state = /\b(cancel|stopped|interrupted)/.test(m) ? 'cancelled' : /\b(fail|error|crash|exited with)/.test(m) ? 'failed' : 'finished';
  }
  return next;
}

/** Folds a stepwise/runStatus notification (see docs/vscode.md) into the run's state. */
export function applyRunStatus(prev: RunProgress | undefined, p: Record<string, unknown>): RunProgress {
  const state = typeof p.state === 'string' && ['running', 'finished', 'failed', 'cancelled'].includes(p.state) ? (p.state as RunState) : prev?.state ?? 'running';
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    ...(prev ?? { state }),
    ...stripUndefined({
      state,
      message: str(p.message),
      percentage: num(p.percentage),
      step: num(p.step),
      totalSteps: num(p.totalSteps),
      epoch: num(p.epoch),
      loss: num(p.loss),
      etaSeconds: num(p.etaSeconds),
      config: str(p.uri) ?? str(p.config),
      adapterPath: str(p.adapterPath),
      lossCurvePath: str(p.lossCurvePath),
    }),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Loss with 4 significant digits (1.234, 0.05678, 12.35); NaN/inf spelled out. */
export function formatLoss(loss: number): string {
  if (Number.isNaN(loss)) return 'NaN';
  if (!Number.isFinite(loss)) return loss > 0 ? 'inf' : '-inf';
  if (loss === 0) return '0';
  return Number(loss.toPrecision(4)).toString();
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

const grouped = (n: number) => n.toLocaleString('en-US');

/** Status bar text: `$(sync~spin) Stepwise 120/1,000 · loss 1.234`, or the percentage when steps are unknown. */
export function statusText(p: RunProgress): string {
  const icon = p.state === 'running' ? '$(sync~spin)' : p.state === 'finished' ? '$(check)' : p.state === 'cancelled' ? '$(debug-stop)' : '$(error)';
  const parts: string[] = [];
  if (p.step !== undefined && p.totalSteps !== undefined) parts.push(`${grouped(p.step)}/${grouped(p.totalSteps)}`);
  else if (p.step !== undefined) parts.push(`step ${grouped(p.step)}`);
  else if (p.percentage !== undefined) parts.push(`${Math.round(p.percentage)}%`);
  if (p.loss !== undefined) parts.push(`loss ${formatLoss(p.loss)}`);
  if (parts.length === 0) parts.push(p.state === 'running' ? 'starting…' : p.state);
  return `${icon} Stepwise ${parts.join(' · ')}`;
}

export function statusTooltip(p: RunProgress): string {
  const lines = [p.title ?? 'Stepwise training run'];
  if (p.config) lines.push(`Config: ${p.config}`);
  if (p.epoch !== undefined) lines.push(`Epoch: ${Number(p.epoch.toFixed(2))}`);
  if (p.percentage !== undefined) lines.push(`Progress: ${Math.round(p.percentage)}%`);
  if (p.etaSeconds !== undefined && p.state === 'running') lines.push(`ETA: ${formatDuration(p.etaSeconds)}`);
  if (p.adapterPath) lines.push(`Adapter: ${p.adapterPath}`);
  if (p.message) lines.push(p.message);
  lines.push('Click to show the output.');
  return lines.join('\n');
}
