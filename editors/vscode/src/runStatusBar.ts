// The status bar item shown while a training run is active: `$(sync~spin) Stepwise 120/1,000 · loss 1.234`;
// clicking it shows the output. After the run ends it shows the outcome briefly, then hides.
import * as vscode from 'vscode';
import { Commands } from './constants';
import { type RunProgress, statusText, statusTooltip } from './progress';

export const RUN_ACTIVE_CONTEXT = 'stepwise.runActive';

export class RunStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly runs = new Map<string, RunProgress>();
  private current: string | undefined;
  private hideTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly lingerMs = 10000) {
    this.item = vscode.window.createStatusBarItem('stepwise.run', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Stepwise Training';
    this.item.command = Commands.showOutput;
  }

  /** Records the new state of run `key` (a progress token or a config URI) and redraws. */
  update(key: string, p: RunProgress): void {
    this.runs.set(key, p);
    this.current = key;
    this.redraw();
  }

  get(key: string): RunProgress | undefined { return this.runs.get(key); }

  /** The most recent run of a config (by URI string), running or not. */
  lastFor(config: string | undefined): RunProgress | undefined {
    let found: RunProgress | undefined;
    for (const p of this.runs.values()) if (config === undefined || p.config === config) found = p;
    return found;
  }

  active(): Array<[string, RunProgress]> {
    return [...this.runs].filter(([, p]) => p.state === 'running');
  }

  private redraw(): void {
    const running = this.active();
    // Prefer the run that reported last; if it ended while another still runs, show that one.
    let key = this.current;
    if (key !== undefined && this.runs.get(key)?.state !== 'running' && running.length > 0) key = running[running.length - 1][0];
    const p = key !== undefined ? this.runs.get(key) : undefined;
    void vscode.commands.executeCommand('setContext', RUN_ACTIVE_CONTEXT, running.length > 0);
    if (this.hideTimer) { clearTimeout(this.hideTimer); this.hideTimer = undefined; }
    if (!p) { this.item.hide(); return; }
    const more = running.length > 1 ? ` (+${running.length - 1})` : '';
    this.item.text = statusText(p) + more;
    this.item.tooltip = statusTooltip(p);
    this.item.backgroundColor = p.state === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
    if (p.state !== 'running') {
      this.hideTimer = setTimeout(() => {
        this.hideTimer = undefined;
        if (this.active().length === 0) this.item.hide();
      }, this.lingerMs);
    }
  }

  get text(): string { return this.item.text; }

  dispose(): void {
    if (this.hideTimer) clearTimeout(this.hideTimer);
    this.item.dispose();
  }
}
