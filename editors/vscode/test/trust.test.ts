import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Commands } from '../src/constants';
import { UNTRUSTED_MESSAGE, gate } from '../src/trust';

function deps(trusted: boolean, answer?: string) {
  const shown: string[] = [];
  let managed = 0;
  return {
    shown, managed: () => managed,
    d: {
      isTrusted: () => trusted,
      showWarning: (m: string) => { shown.push(m); return Promise.resolve(answer); },
      manageTrust: () => { managed++; return Promise.resolve(); },
    },
  };
}

test('untrusted: train and stop are refused with the explanation', async () => {
  for (const c of [Commands.train, Commands.stop]) {
    const x = deps(false);
    assert.equal(await gate(c, x.d), false);
    assert.deepEqual(x.shown, [UNTRUSTED_MESSAGE]);
  }
  assert.match(UNTRUSTED_MESSAGE, /Restricted Mode/);
  assert.match(UNTRUSTED_MESSAGE, /Analysis keeps working/);
});

test('untrusted: analysis commands still run, silently', async () => {
  for (const c of [Commands.checkWorkspace, Commands.showOutput, Commands.showLossCurve, Commands.restartServer]) {
    const x = deps(false);
    assert.equal(await gate(c, x.d), true, c);
    assert.deepEqual(x.shown, []);
  }
});

test('trusted: everything runs; the explanation offers Manage Workspace Trust', async () => {
  const t = deps(true);
  assert.equal(await gate(Commands.train, t.d), true);
  assert.deepEqual(t.shown, []);
  const u = deps(false, 'Manage Workspace Trust');
  assert.equal(await gate(Commands.train, u.d), false);
  assert.equal(u.managed(), 1);
});
