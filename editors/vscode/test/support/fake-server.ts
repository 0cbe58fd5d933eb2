// A scripted LSP server for the activation test: advertises stepwise.server.train, .runs and .checkWorkspace, and for
// stepwise.server.train reports begin / two reports / end on the client's workDoneToken, then answers with the paths.
// A config whose name contains "bad" is refused with an error response, as the server refuses configs with errors.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, InitializeRequest, ExecuteCommandRequest, ShutdownRequest, ExitNotification, WorkDoneProgress, ResponseError } from 'vscode-languageserver-protocol/node';

const conn = createProtocolConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
process.stderr.write(`fake server args: ${process.argv.slice(2).join(' ')}\n`);
conn.onRequest(InitializeRequest.type, () => ({
  capabilities: { textDocumentSync: 1 as const, executeCommandProvider: { commands: ['stepwise.server.train', 'stepwise.server.runs', 'stepwise.server.checkWorkspace'] } },
  serverInfo: { name: 'fake-stepwise-lsp' },
}));
conn.onRequest(ExecuteCommandRequest.type, async (p, cancel) => {
  const uri = String(p.arguments?.[0] ?? '');
  if (p.command === 'stepwise.server.runs') return [];
  if (p.command === 'stepwise.server.checkWorkspace') {
    const send = (v: object) => conn.sendProgress(WorkDoneProgress.type, p.workDoneToken!, v as never);
    send({ kind: 'begin', title: 'Stepwise: checking the workspace', cancellable: true, percentage: 0 });
    send({ kind: 'report', message: '1/2 files · a.yaml', percentage: 50 });
    send({ kind: 'end', message: '1 config in 2 files: 0 errors, 2 warnings, 0 notes' });
    process.stderr.write(`fake server checkWorkspace args: ${JSON.stringify(p.arguments)}\n`);
    return { folders: [], files: 2, configs: 1, errors: 0, warnings: 2, information: 0, open: 0, truncated: false, milliseconds: 3, notes: [] };
  }
  if (uri.includes('bad')) throw new ResponseError(-32603, 'bad.yaml:3:1: SW1001 max_steps fixed while the batch grew; fix it first');
  const token = p.workDoneToken!;
  const send = (v: object) => conn.sendProgress(WorkDoneProgress.type, token, v as never);
  send({ kind: 'begin', title: 'Training', cancellable: true, percentage: 0 });
  send({ kind: 'report', message: 'step 1/2 · loss 2.0', percentage: 50 });
  if (uri.includes('slow')) {
    await new Promise<void>(resolve => cancel.onCancellationRequested(() => resolve()));
    send({ kind: 'end', message: 'cancelled at step 1; checkpoint saved' });
    throw new ResponseError(-32800, 'cancelled');
  }
  send({ kind: 'report', message: 'step 2/2 · loss 1.5', step: 2, totalSteps: 2, loss: 1.5, percentage: 100 });
  send({ kind: 'end', message: 'adapter saved to /tmp/out/adapter; final loss 1.5' });
  return { state: 'finished', adapterPath: '/tmp/out/adapter', lossCurvePath: path.join(path.dirname(fileURLToPath(uri)), 'out', 'reported-loss.png') };
});
conn.onRequest(ShutdownRequest.type, () => null);
conn.onNotification(ExitNotification.type, () => process.exit(0));
conn.listen();
