// The `stepwise` task type: `Tasks: Run Task` offers "train <config>" for the active config, and tasks.json entries
// such as { "type": "stepwise", "config": "examples/qlora.yaml" } resolve to a ShellExecution of the trainer.
import * as vscode from 'vscode';
import { TASK_TYPE } from './constants';
import { type StepwiseTaskDefinition, type TaskSettings, resolveTaskCommand, taskLabel } from './taskDefinition';

export interface TaskProviderDeps {
  settings(folder: vscode.WorkspaceFolder): TaskSettings;
  isTrusted(): boolean;
  /** The config the provider offers a task for (the active editor's YAML/JSON file), if any. */
  activeConfig(): vscode.Uri | undefined;
}

export class StepwiseTaskProvider implements vscode.TaskProvider {
  constructor(private readonly deps: TaskProviderDeps) {}

  provideTasks(): vscode.Task[] {
    const uri = this.deps.activeConfig();
    if (!uri || !this.deps.isTrusted()) return [];
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return [];
    const rel = vscode.workspace.asRelativePath(uri, false);
    const task = this.build({ type: TASK_TYPE, config: rel }, folder);
    return task ? [task] : [];
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as StepwiseTaskDefinition;
    const folder = typeof task.scope === 'object' ? (task.scope as vscode.WorkspaceFolder) : vscode.workspace.workspaceFolders?.[0];
    if (!folder) return undefined;
    return this.build(def, folder, task.name);
  }

  /** Builds the task; an unrunnable definition becomes a task that prints why and fails. */
  build(def: StepwiseTaskDefinition, folder: vscode.WorkspaceFolder, name?: string): vscode.Task | undefined {
    const label = name ?? taskLabel(def.config ?? '', folder.uri.fsPath);
    if (!this.deps.isTrusted()) return undefined;
    const r = resolveTaskCommand(def, this.deps.settings(folder), folder.uri.fsPath);
    const execution = r.ok ? new vscode.ShellExecution(r.command, r.args, { cwd: r.cwd }) : failingExecution(`stepwise: ${r.message}`);
    const task = new vscode.Task(def, folder, label, 'stepwise', execution, []);
    task.group = vscode.TaskGroup.Build;
    task.detail = r.ok ? `${r.command} ${r.args.join(' ')}` : r.message;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
    return task;
  }
}

/** A task execution that prints `message` and ends with exit code 1 (for task definitions that cannot run). */
export function failingExecution(message: string): vscode.CustomExecution {
  return new vscode.CustomExecution(async () => {
    const write = new vscode.EventEmitter<string>();
    const close = new vscode.EventEmitter<number>();
    return {
      onDidWrite: write.event,
      onDidClose: close.event,
      open: () => { write.fire(message + '\r\n'); close.fire(1); },
      close: () => undefined,
    };
  });
}
