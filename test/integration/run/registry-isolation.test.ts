// The integration project's global setup gives the CLIs its tests start a run registry of their
// own: a test run never lists, stops or removes runs of the user who runs the tests.
import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { stateDir } from '../../../src/run/registry.js';

describe('run registry of the integration tests', () => {
  it('is a temporary one, not the user\'s', () => {
    expect(process.env.VPS_TEST_STATE_DIR).toBeTruthy();
    expect(stateDir()).toBe(process.env.VPS_TEST_STATE_DIR);
    expect(stateDir().startsWith(homedir())).toBe(false);
  });
});
