// A scripted LSP server for the activation test: advertises stepwise.train and stepwise.runs, and for
// stepwise.train reports begin / two reports / end on the client's workDoneToken, then answers with the paths.
// A config whose name contains "bad" is refused with an error response, as the server refuses configs with errors.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, InitializeRequest, ExecuteCommandRequest, ShutdownRequest, ExitNotification, WorkDoneProgress, ResponseError } from 'vscode-languageserver-protocol/node';

const conn = createProtocolConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
process.stderr.write(`fake server args: ${process.argv.slice(2).join(' ')}\n`);
conn.onRequest(InitializeRequest.type, () => ({
  capabilities: { textDocumentSync: 1 as const, executeCommandProvider: { commands: ['stepwise.train', 'stepwise.runs'] } },
  serverInfo: { name: 'fake-stepwise-lsp' },
}));
conn.onRequest(ExecuteCommandRequest.type, async (p, cancel) => {
  const uri = String(p.arguments?.[0] ?? '');
  if (p.command === 'stepwise.runs') return [];
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
