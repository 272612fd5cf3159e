// Tests that can't hide: under CI=true root-only tests may not skip, golden files are not rewritten.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ciRootProblem } from '../../helpers/ci-guard.js';

describe('CI guards', () => {
  it('fails the integration project under CI=true without root, allows it locally', () => {
    expect(ciRootProblem({ CI: 'true' }, 1000)).toMatch(/CI=true but not root/);
    expect(ciRootProblem({ CI: 'true' }, 0)).toBeUndefined();
    expect(ciRootProblem({}, 1000)).toBeUndefined();
  });

  it('refuses UPDATE_GOLDEN=1 under CI=true', () => {
    const r = spawnSync('npx', ['vitest', 'run', 'test/unit/report/golden.test.ts'], { env: { ...process.env, CI: 'true', UPDATE_GOLDEN: '1' }, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/UPDATE_GOLDEN=1 is refused under CI=true/);
  });
});
