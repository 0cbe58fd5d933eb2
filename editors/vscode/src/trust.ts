// Workspace Trust gating for the commands that start processes. Analysis needs no trust; training runs code and
// tools named by workspace settings, so it waits until the user trusts the folder.
import { LAUNCH_COMMANDS } from './constants';

export const UNTRUSTED_MESSAGE =
  'Stepwise: training and stopping runs are disabled in Restricted Mode, because a training run executes the ' +
  'trainer, launcher and scripts named by this workspace. Analysis keeps working. Trust the workspace ' +
  '(Workspaces: Manage Workspace Trust) to train.';

export interface TrustDeps {
  isTrusted(): boolean;
  showWarning(message: string, ...actions: string[]): Thenable<string | undefined>;
  manageTrust(): Thenable<unknown>;
}

/** True when the command may run; otherwise explains why not (and offers to manage trust) and returns false. */
export async function gate(command: string, deps: TrustDeps): Promise<boolean> {
  if (!LAUNCH_COMMANDS.includes(command) || deps.isTrusted()) return true;
  const choice = await deps.showWarning(UNTRUSTED_MESSAGE, 'Manage Workspace Trust');
  if (choice === 'Manage Workspace Trust') await deps.manageTrust();
  return false;
}
