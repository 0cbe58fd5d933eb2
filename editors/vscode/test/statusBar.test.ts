import './support/register';
import { test, beforeEach } from 'node:test';
import * as assert from 'node:assert/strict';
import * as stub from './support/vscode-stub';
import { RUN_ACTIVE_CONTEXT, RunStatusBar } from '../src/runStatusBar';
import { applyWorkDone } from '../src/progress';

beforeEach(() => stub.reset());

test('hidden until a run reports; shows step/total and loss; click shows the output', () => {
  const bar = new RunStatusBar(20);
  const item = stub.recorded.statusItems[0];
  assert.equal(item.visible, false);
  assert.equal(item.command, 'stepwise.showOutput');
  let p = applyWorkDone(undefined, { kind: 'begin', title: 'Training a.yaml', percentage: 0 });
  bar.update('t1', p);
  assert.equal(item.visible, true);
  assert.equal(stub.recorded.contexts.get(RUN_ACTIVE_CONTEXT), true);
  p = applyWorkDone(p, { kind: 'report', message: 'step 250/1000 · loss 0.9876', percentage: 25 });
  bar.update('t1', p);
  assert.equal(item.text, '$(sync~spin) Stepwise 250/1,000 · loss 0.9876');
  assert.match(String(item.tooltip), /^Training a\.yaml\n/);
  bar.dispose();
});

test('two runs: the count of others is shown; when one ends the other takes over; all done -> hides after the linger', async () => {
  const bar = new RunStatusBar(20);
  const item = stub.recorded.statusItems[0];
  bar.update('a', { state: 'running', step: 1, totalSteps: 10 });
  bar.update('b', { state: 'running', step: 5, totalSteps: 50, loss: 3 });
  assert.equal(item.text, '$(sync~spin) Stepwise 5/50 · loss 3 (+1)');
  bar.update('b', { state: 'failed', step: 6, totalSteps: 50 });
  assert.equal(item.text, '$(sync~spin) Stepwise 1/10');
  bar.update('a', { state: 'finished', step: 10, totalSteps: 10, loss: 0.5 });
  assert.equal(item.text, '$(check) Stepwise 10/10 · loss 0.5');
  assert.equal(stub.recorded.contexts.get(RUN_ACTIVE_CONTEXT), false);
  assert.equal(item.visible, true);
  await new Promise(r => setTimeout(r, 60));
  assert.equal(item.visible, false);
  bar.dispose();
});

test('a failed run colours the item', () => {
  const bar = new RunStatusBar(5);
  const item = stub.recorded.statusItems[0];
  bar.update('a', { state: 'failed', message: 'trainer exited with code 1' });
  assert.equal((item.backgroundColor as stub.ThemeColor | undefined)?.id, 'statusBarItem.errorBackground');
  assert.equal(bar.lastFor(undefined)?.message, 'trainer exited with code 1');
  bar.dispose();
  assert.equal(item.disposed, true);
});
