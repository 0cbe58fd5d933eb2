import './support/register';
import { test, beforeEach } from 'node:test';
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import * as stub from './support/vscode-stub';
import { resolveTaskCommand, taskLabel } from '../src/taskDefinition';
import { StepwiseTaskProvider } from '../src/taskProvider';

const base = { dotnet: 'dotnet' };

test('stepwise launcher: stepwise on PATH, a configured trainer, a trainer .dll through dotnet', () => {
  assert.deepEqual(resolveTaskCommand({ type: 'stepwise', config: 'a.yaml' }, base, '/ws'),
    { ok: true, command: 'stepwise', args: ['train', 'a.yaml'], cwd: '/ws', launcher: 'stepwise' });
  assert.deepEqual(resolveTaskCommand({ type: 'stepwise', config: 'a.yaml', args: ['--seed', '1'] }, { ...base, trainerPath: '/t/stepwise-trainer' }, '/ws'),
    { ok: true, command: '/t/stepwise-trainer', args: ['train', 'a.yaml', '--seed', '1'], cwd: '/ws', launcher: 'stepwise' });
  assert.deepEqual(resolveTaskCommand({ type: 'stepwise', config: 'a.yaml' }, { dotnet: '/d/dotnet', trainerPath: '/t/stepwise-trainer.dll' }, '/ws'),
    { ok: true, command: '/d/dotnet', args: ['/t/stepwise-trainer.dll', 'train', 'a.yaml'], cwd: '/ws', launcher: 'stepwise' });
});

test('external launchers: the definition overrides the setting; accelerate/torchrun need the program and get the world size', () => {
  assert.deepEqual(resolveTaskCommand({ type: 'stepwise', config: 'x.yml' }, { ...base, launcher: 'axolotl' }, '/ws'),
    { ok: true, command: 'axolotl', args: ['train', 'x.yml'], cwd: '/ws', launcher: 'axolotl' });
  assert.deepEqual(resolveTaskCommand({ type: 'stepwise', config: 'x.yml', launcher: 'llamafactory-cli' }, { ...base, launcher: 'axolotl' }, '/ws'),
    { ok: true, command: 'llamafactory-cli', args: ['train', 'x.yml'], cwd: '/ws', launcher: 'llamafactory-cli' });
  assert.deepEqual(resolveTaskCommand({ type: 'stepwise', config: 'x.json', program: 'train.py' }, { ...base, launcher: 'accelerate', worldSize: 4 }, '/ws'),
    { ok: true, command: 'accelerate', args: ['launch', '--num_processes', '4', 'train.py', 'x.json'], cwd: '/ws', launcher: 'accelerate' });
  assert.deepEqual(resolveTaskCommand({ type: 'stepwise', config: 'x.json', program: 'train.py', launcher: 'torchrun' }, { ...base, worldSize: 8 }, '/ws'),
    { ok: true, command: 'torchrun', args: ['--nproc_per_node=8', 'train.py', 'x.json'], cwd: '/ws', launcher: 'torchrun' });
  const noProgram = resolveTaskCommand({ type: 'stepwise', config: 'x.json', launcher: 'torchrun' }, base, '/ws');
  assert.deepEqual(noProgram, { ok: false, message: 'The torchrun launcher needs "program" in the task definition: the training script that reads x.json.' });
});

test('bad definitions are explained', () => {
  assert.equal(resolveTaskCommand({ type: 'stepwise', config: '' }, base, '/ws').ok, false);
  const r = resolveTaskCommand({ type: 'stepwise', config: 'a.yaml', launcher: 'deepspeed' }, base, '/ws');
  assert.deepEqual(r, { ok: false, message: 'Unknown launcher "deepspeed"; one of stepwise, accelerate, torchrun, axolotl, llamafactory-cli.' });
  assert.equal(taskLabel('/ws/cfg/a.yaml', '/ws'), 'train cfg/a.yaml');
});

beforeEach(() => stub.reset());
const folder = { uri: stub.Uri.file('/ws'), name: 'ws', index: 0 };

function provider(trusted = true, active?: string) {
  return new StepwiseTaskProvider({
    settings: () => ({ dotnet: 'dotnet', launcher: 'stepwise' }),
    isTrusted: () => trusted,
    activeConfig: () => (active ? vscode.Uri.file(active) : undefined),
  });
}

test('provider: offers "train <config>" for the active config as a ShellExecution in the folder', () => {
  stub.workspace.workspaceFolders = [folder];
  const tasks = provider(true, '/ws/examples/qlora.yaml').provideTasks();
  assert.equal(tasks.length, 1);
  const t = tasks[0] as unknown as stub.Task;
  assert.equal(t.name, 'train examples/qlora.yaml');
  assert.deepEqual(t.definition, { type: 'stepwise', config: 'examples/qlora.yaml' });
  const exec = t.execution as stub.ShellExecution;
  assert.ok(exec instanceof stub.ShellExecution);
  assert.deepEqual([exec.command, exec.args, exec.options?.cwd], ['stepwise', ['train', 'examples/qlora.yaml'], '/ws']);
  assert.equal(t.detail, 'stepwise train examples/qlora.yaml');
});

test('provider: nothing in an untrusted workspace, and resolveTask refuses there too', () => {
  stub.workspace.workspaceFolders = [folder];
  assert.deepEqual(provider(false, '/ws/a.yaml').provideTasks(), []);
  const task = new vscode.Task({ type: 'stepwise', config: 'a.yaml' }, folder as unknown as vscode.WorkspaceFolder, 'train a.yaml', 'stepwise');
  assert.equal(provider(false).resolveTask(task), undefined);
  assert.ok(provider(true).resolveTask(task));
});

test('provider: an unrunnable tasks.json entry becomes a task that prints why and exits 1', async () => {
  stub.workspace.workspaceFolders = [folder];
  const task = new vscode.Task({ type: 'stepwise', config: 'a.yaml', launcher: 'accelerate' }, folder as unknown as vscode.WorkspaceFolder, 'mine', 'stepwise');
  const t = provider(true).resolveTask(task) as unknown as stub.Task;
  assert.equal(t.name, 'mine');
  assert.ok(t.execution instanceof stub.CustomExecution);
  const pty = await (t.execution as stub.CustomExecution).callback();
  const written: string[] = [];
  let code: number | undefined;
  pty.onDidWrite(s => written.push(s));
  pty.onDidClose?.(n => (code = n));
  pty.open();
  assert.deepEqual(written, ['stepwise: The accelerate launcher needs "program" in the task definition: the training script that reads a.yaml.\r\n']);
  assert.equal(code, 1);
});
