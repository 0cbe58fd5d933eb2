// Replaces vscode-languageclient's ExecuteCommandFeature. The stock feature registers a VS Code command for every id
// in the server's executeCommandProvider; for the ids this extension contributes itself (stepwise.train, ...) that
// registration would collide with ours and fail the client's start. This feature records which commands the server
// implements (statically or by dynamic registration), registers VS Code commands only for the others, and lets the
// extension forward its own commands when, and only when, the server has them.
import type { ClientCapabilities, ExecuteCommandRegistrationOptions, RegistrationType, ServerCapabilities } from 'vscode-languageserver-protocol';
import { ExecuteCommandRequest } from 'vscode-languageserver-protocol';

export interface Disposable { dispose(): unknown }

export interface ServerCommandsDeps {
  /** Ids the extension registers itself. */
  owned: readonly string[];
  /** vscode.commands.registerCommand. */
  registerCommand(id: string, run: (...args: unknown[]) => unknown): Disposable;
  /** Sends workspace/executeCommand. */
  execute(command: string, args: unknown[]): Promise<unknown>;
}

interface RegistrationData<T> { id: string; registerOptions: T }

export class ServerCommandsFeature {
  private readonly registrations = new Map<string, { commands: string[]; disposables: Disposable[] }>();
  constructor(private readonly deps: ServerCommandsDeps) {}

  get registrationType(): RegistrationType<ExecuteCommandRegistrationOptions> {
    return ExecuteCommandRequest.type as unknown as RegistrationType<ExecuteCommandRegistrationOptions>;
  }

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.workspace ??= {};
    capabilities.workspace.executeCommand = { dynamicRegistration: true };
  }

  initialize(capabilities: ServerCapabilities): void {
    const opts = capabilities.executeCommandProvider;
    if (opts) this.register({ id: 'static', registerOptions: { commands: opts.commands ?? [] } });
  }

  getState(): { kind: 'workspace'; id: string; registrations: boolean } {
    return { kind: 'workspace', id: ExecuteCommandRequest.method, registrations: this.registrations.size > 0 };
  }

  register(data: RegistrationData<ExecuteCommandRegistrationOptions>): void {
    const commands = Array.isArray(data.registerOptions?.commands) ? data.registerOptions.commands.filter(c => typeof c === 'string') : [];
    this.unregister(data.id);
    const disposables: Disposable[] = [];
    for (const c of commands) {
      if (this.deps.owned.includes(c) || this.hasOther(c, data.id)) continue;
      disposables.push(this.deps.registerCommand(c, (...args: unknown[]) => this.deps.execute(c, args)));
    }
    this.registrations.set(data.id, { commands, disposables });
  }

  unregister(id: string): void {
    const r = this.registrations.get(id);
    if (!r) return;
    r.disposables.forEach(d => d.dispose());
    this.registrations.delete(id);
  }

  clear(): void {
    for (const id of [...this.registrations.keys()]) this.unregister(id);
  }

  /** Whether the running server implements `command` (workspace/executeCommand). */
  has(command: string): boolean {
    for (const r of this.registrations.values()) if (r.commands.includes(command)) return true;
    return false;
  }

  commands(): string[] {
    return [...new Set([...this.registrations.values()].flatMap(r => r.commands))];
  }

  private hasOther(command: string, exceptId: string): boolean {
    for (const [id, r] of this.registrations) if (id !== exceptId && r.commands.includes(command) && r.disposables.length > 0) return true;
    return false;
  }
}
