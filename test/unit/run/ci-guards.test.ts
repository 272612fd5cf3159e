// Tests that can't hide: under CI=true root-only tests may not skip, golden files are not rewritten.
import { describe, expect, it } from 'vitest';
import { ciRootProblem } from '../../helpers/ci-guard.js';
import { expectGolden } from '../report/golden.js';

describe('CI guards', () => {
  it('fails the integration project under CI=true without root, allows it locally', () => {
    expect(ciRootProblem({ CI: 'true' }, 1000)).toMatch(/CI=true but not root/);
    expect(ciRootProblem({ CI: 'true' }, 0)).toBeUndefined();
    expect(ciRootProblem({}, 1000)).toBeUndefined();
  });

  it('refuses UPDATE_GOLDEN=1 under CI=true', () => {
    const saved = { CI: process.env.CI, UPDATE_GOLDEN: process.env.UPDATE_GOLDEN };
    process.env.CI = 'true';
    process.env.UPDATE_GOLDEN = '1';
    try {
      expect(() => expectGolden('never-written.md', 'x')).toThrow(/UPDATE_GOLDEN=1 is refused under CI=true/);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
