import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findLossCurve, isLossCurveName, pickNewest } from '../src/lossCurve';

test('names that count as loss curves', () => {
  for (const n of ['loss.png', 'loss_curve.png', 'train_loss.png', 'loss-curve-run2.png', 'LOSS.PNG']) assert.ok(isLossCurveName(n), n);
  for (const n of ['loss.jpg', 'accuracy.png', 'myloss.png']) assert.ok(!isLossCurveName(n), n);
});

test('reported path first; else the newest loss PNG within two levels; dot folders skipped', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-loss-'));
  const cfg = path.join(root, 'qlora.yaml');
  fs.writeFileSync(cfg, 'x: 1\n');
  assert.equal(findLossCurve(cfg, undefined), undefined);
  const old = path.join(root, 'out', 'loss.png');
  const newer = path.join(root, 'out', 'run2', 'loss_curve.png');
  const tooDeep = path.join(root, 'a', 'b', 'c', 'loss.png');
  const hidden = path.join(root, '.git', 'loss.png');
  for (const p of [old, newer, tooDeep, hidden]) { fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, 'png'); }
  fs.utimesSync(old, new Date(1000e3), new Date(1000e3));
  fs.utimesSync(newer, new Date(2000e3), new Date(2000e3));
  fs.utimesSync(tooDeep, new Date(3000e3), new Date(3000e3));
  fs.utimesSync(hidden, new Date(4000e3), new Date(4000e3));
  assert.equal(findLossCurve(cfg, undefined), newer);
  assert.equal(findLossCurve(cfg, old), old);
  assert.equal(findLossCurve(cfg, path.join(root, 'gone.png')), newer);
  assert.equal(pickNewest([]), undefined);
});
