import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { applyRunStatus, applyWorkDone, formatDuration, formatLoss, parseMessage, statusText, statusTooltip } from '../src/progress';

test('status text: step/total with thousands separators and loss to 4 significant digits', () => {
  assert.equal(statusText({ state: 'running', step: 120, totalSteps: 1000, loss: 1.23456 }), '$(sync~spin) Stepwise 120/1,000 · loss 1.235');
  assert.equal(statusText({ state: 'running', percentage: 41.6 }), '$(sync~spin) Stepwise 42%');
  assert.equal(statusText({ state: 'running' }), '$(sync~spin) Stepwise starting…');
  assert.equal(statusText({ state: 'finished', step: 1000, totalSteps: 1000, loss: 0.0567891 }), '$(check) Stepwise 1,000/1,000 · loss 0.05679');
  assert.equal(statusText({ state: 'failed' }), '$(error) Stepwise failed');
  assert.equal(statusText({ state: 'cancelled', step: 7 }), '$(debug-stop) Stepwise step 7');
});

test('loss and duration formatting edge cases', () => {
  assert.equal(formatLoss(NaN), 'NaN');
  assert.equal(formatLoss(Infinity), 'inf');
  assert.equal(formatLoss(0), '0');
  assert.equal(formatLoss(12.3456), '12.35');
  assert.equal(formatLoss(2), '2');
  assert.equal(formatDuration(59.6), '1m 00s');
  assert.equal(formatDuration(3725), '1h 02m');
  assert.equal(formatDuration(-4), '0s');
});

test('message parsing: the documented forms', () => {
  assert.deepEqual(parseMessage('step 120/1,000 · epoch 0.48 · loss 1.234 · ETA 3m 20s'), { step: 120, totalSteps: 1000, loss: 1.234, epoch: 0.48, etaSeconds: 200 });
  assert.deepEqual(parseMessage('12/50 loss=2.5e-1 eta 01:02:03'), { step: 12, totalSteps: 50, loss: 0.25, etaSeconds: 3723 });
  assert.deepEqual(parseMessage('loss: nan'), { loss: NaN });
  // Paths and dates are not steps.
  assert.deepEqual(parseMessage('saved to out/checkpoint-3/adapter'), {});
  assert.deepEqual(parseMessage(undefined), {});
});

test('work-done values fold into a run: structured fields beat the message; end decides the outcome', () => {
  let p = applyWorkDone(undefined, { kind: 'begin', title: 'Training qlora.yaml', percentage: 0, cancellable: true });
  assert.deepEqual(p, { state: 'running', title: 'Training qlora.yaml', percentage: 0 });
  p = applyWorkDone(p, { kind: 'report', message: 'step 10/100 · loss 2.0', percentage: 10 });
  assert.equal(statusText(p), '$(sync~spin) Stepwise 10/100 · loss 2');
  p = applyWorkDone(p, { kind: 'report', message: 'step 20/100 · loss 1.9', step: 21, totalSteps: 100, loss: 1.85, epoch: 0.2, etaSeconds: 90 });
  assert.equal(statusText(p), '$(sync~spin) Stepwise 21/100 · loss 1.85');
  assert.match(statusTooltip(p), /Epoch: 0\.2\nProgress: 10%\nETA: 1m 30s/);
  assert.equal(applyWorkDone(p, { kind: 'end', message: 'adapter saved to out/adapter; final loss 1.2' }).state, 'finished');
  assert.equal(applyWorkDone(p, { kind: 'end', message: 'trainer exited with code 139' }).state, 'failed');
  assert.equal(applyWorkDone(p, { kind: 'end', message: 'Cancelled at step 21; checkpoint saved' }).state, 'cancelled');
  // A report before any begin (a late subscription) still yields a running state.
  assert.equal(applyWorkDone(undefined, { kind: 'report', message: '5/10' }).state, 'running');
});

test('stepwise/runStatus notifications fold the same way and carry paths', () => {
  const p = applyRunStatus(undefined, { uri: 'file:///w/a.yaml', state: 'running', step: 3, totalSteps: 30, loss: 4.5 });
  assert.equal(statusText(p), '$(sync~spin) Stepwise 3/30 · loss 4.5');
  const end = applyRunStatus(p, { state: 'finished', adapterPath: '/w/out/adapter', lossCurvePath: '/w/out/loss.png', step: 'x' });
  assert.equal(end.state, 'finished');
  assert.equal(end.step, 3, 'a non-number keeps the previous value');
  assert.equal(end.lossCurvePath, '/w/out/loss.png');
  assert.equal(end.config, 'file:///w/a.yaml');
  assert.equal(applyRunStatus(end, { state: 'bogus' }).state, 'finished');
});
