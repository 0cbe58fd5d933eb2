import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ClientCapabilities } from 'vscode-languageserver-protocol';
import { ServerCommandsFeature } from '../src/serverCommands';

function setup() {
  const registered = new Map<string, (...a: unknown[]) => unknown>();
  const sent: Array<[string, unknown[]]> = [];
  const f = new ServerCommandsFeature({
    owned: ['stepwise.train', 'stepwise.stop'],
    registerCommand: (id, run) => {
      if (registered.has(id)) throw new Error(`command '${id}' already exists`);
      registered.set(id, run);
      return { dispose: () => registered.delete(id) };
    },
    execute: (c, a) => { sent.push([c, a]); return Promise.resolve(null); },
  });
  return { f, registered, sent };
}

test('owned ids are known but not registered again; others are registered and forward', async () => {
  const { f, registered, sent } = setup();
  f.initialize({ executeCommandProvider: { commands: ['stepwise.train', 'stepwise.runs'] } });
  assert.equal(f.has('stepwise.train'), true);
  assert.equal(f.has('stepwise.stop'), false);
  assert.deepEqual([...registered.keys()], ['stepwise.runs']);
  await registered.get('stepwise.runs')!('x');
  assert.deepEqual(sent, [['stepwise.runs', ['x']]]);
  assert.equal(f.getState().registrations, true);
});

test('dynamic registration adds and removes commands; re-registering an id does not collide', () => {
  const { f, registered } = setup();
  f.initialize({});
  assert.equal(f.getState().registrations, false);
  f.register({ id: 'r1', registerOptions: { commands: ['stepwise.stop', 'stepwise.fix'] } });
  f.register({ id: 'r1', registerOptions: { commands: ['stepwise.stop', 'stepwise.fix'] } });
  assert.equal(f.has('stepwise.stop'), true);
  assert.deepEqual([...registered.keys()], ['stepwise.fix']);
  f.unregister('r1');
  assert.equal(f.has('stepwise.stop'), false);
  assert.equal(registered.size, 0);
});

test('declares dynamic registration support and the method it replaces', () => {
  const { f } = setup();
  const caps: ClientCapabilities = {};
  f.fillClientCapabilities(caps);
  assert.deepEqual(caps.workspace?.executeCommand, { dynamicRegistration: true });
  assert.equal(f.registrationType.method, 'workspace/executeCommand');
});
