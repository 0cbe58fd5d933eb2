// Turns a `stepwise` task definition plus the settings into the process to run. Pure: the TaskProvider wraps it.
import * as path from 'node:path';
import { LAUNCHERS, type Launcher } from './constants';

export interface StepwiseTaskDefinition {
  type: 'stepwise';
  config: string;
  launcher?: string;
  program?: string;
  args?: string[];
}

export interface TaskSettings {
  launcher?: string;
  /** Already expanded (absolute) trainer path, or undefined for `stepwise` on PATH. */
  trainerPath?: string;
  dotnet: string;
  worldSize?: number;
}

export type TaskCommand = { ok: true; command: string; args: string[]; cwd: string; launcher: Launcher } | { ok: false; message: string };

export function isLauncher(s: string | undefined): s is Launcher {
  return s !== undefined && (LAUNCHERS as readonly string[]).includes(s);
}

/**
 * The command line for a task. `config` may be relative to the workspace folder. The stepwise launcher runs
 * `<trainer> train <config>` (a .dll through dotnet); axolotl and llamafactory-cli run their own `train`
 * subcommand; accelerate and torchrun need `program`, the user's training script, which gets the config as argument.
 */
export function resolveTaskCommand(def: StepwiseTaskDefinition, s: TaskSettings, workspaceFolder: string): TaskCommand {
  if (typeof def.config !== 'string' || def.config.trim() === '') return { ok: false, message: 'The stepwise task needs "config": the training config to run.' };
  const launcher = def.launcher ?? s.launcher ?? 'stepwise';
  if (!isLauncher(launcher)) return { ok: false, message: `Unknown launcher "${launcher}"; one of ${LAUNCHERS.join(', ')}.` };
  const extra = Array.isArray(def.args) ? def.args.filter(a => typeof a === 'string') : [];
  const config = def.config;
  const cwd = workspaceFolder;
  switch (launcher) {
    case 'stepwise': {
      const trainer = s.trainerPath;
      if (!trainer) return { ok: true, command: 'stepwise', args: ['train', config, ...extra], cwd, launcher };
      if (trainer.toLowerCase().endsWith('.dll')) return { ok: true, command: s.dotnet, args: [trainer, 'train', config, ...extra], cwd, launcher };
      return { ok: true, command: trainer, args: ['train', config, ...extra], cwd, launcher };
    }
    case 'axolotl':
    case 'llamafactory-cli':
      return { ok: true, command: launcher, args: ['train', config, ...extra], cwd, launcher };
    case 'accelerate':
    case 'torchrun': {
      if (!def.program) {
        return { ok: false, message: `The ${launcher} launcher needs "program" in the task definition: the training script that reads ${config}.` };
      }
      const n = s.worldSize && s.worldSize > 0 ? s.worldSize : undefined;
      const procs = n === undefined ? [] : launcher === 'accelerate' ? ['--num_processes', String(n)] : [`--nproc_per_node=${n}`];
      const head = launcher === 'accelerate' ? ['launch', ...procs] : procs;
      return { ok: true, command: launcher, args: [...head, def.program, config, ...extra], cwd, launcher };
    }
  }
}

/** A task label for a config: `train examples/qlora.yaml`. */
export function taskLabel(config: string, workspaceFolder: string): string {
  const rel = path.isAbsolute(config) ? path.relative(workspaceFolder, config) : config;
  return `train ${rel.split(path.sep).join('/')}`;
}
