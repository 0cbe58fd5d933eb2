// Names shared by the manifest (package.json), the language server and the tests. The manifest test checks that
// every id here is contributed, so a rename cannot drift.

export const SECTION = 'stepwise';

export const Commands = {
  train: 'stepwise.train',
  stop: 'stepwise.stop',
  showOutput: 'stepwise.showOutput',
  checkWorkspace: 'stepwise.checkWorkspace',
  showLossCurve: 'stepwise.showLossCurve',
  restartServer: 'stepwise.restartServer',
} as const;

/**
 * The language server's own command ids (workspace/executeCommand), in their own namespace so that they never collide
 * with the ids above: the extension's stepwise.train shows progress and sends stepwise.server.train.
 */
export const ServerCommands = {
  train: 'stepwise.server.train',
  stop: 'stepwise.server.stop',
  runs: 'stepwise.server.runs',
  checkWorkspace: 'stepwise.server.checkWorkspace',
} as const;

/** Commands that start or stop processes: refused in an untrusted workspace. */
export const LAUNCH_COMMANDS: readonly string[] = [Commands.train, Commands.stop];

export const Settings = {
  worldSize: 'worldSize',
  datasetSize: 'datasetSize',
  epochThreshold: 'epochThreshold',
  transformersVersion: 'transformersVersion',
  forTrainer: 'forTrainer',
  severity: 'severity',
  launcher: 'launcher',
  trainerPath: 'trainer.path',
  serverPath: 'server.path',
  dotnetPath: 'dotnet.path',
} as const;

export const LAUNCHERS = ['stepwise', 'accelerate', 'torchrun', 'axolotl', 'llamafactory-cli'] as const;
export type Launcher = (typeof LAUNCHERS)[number];

/** The server targets net10.0: an older runtime cannot start it. */
export const REQUIRED_DOTNET_MAJOR = 10;
export const DOTNET_DOWNLOAD_URL = 'https://dotnet.microsoft.com/download/dotnet/10.0';

/** Custom notification the server may send alongside work-done progress (see docs/vscode.md). */
export const RUN_STATUS_NOTIFICATION = 'stepwise/runStatus';

export const TASK_TYPE = 'stepwise';

/** Schemas the manifest's jsonValidation points at (copied from the repository's /schemas at build time). */
export const SCHEMA_FILES = [
  'deepspeed.schema.json',
  'hf.schema.json',
  'llama-factory.schema.json',
  'accelerate.schema.json',
] as const;
