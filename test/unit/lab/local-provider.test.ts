import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/plan/types.js';
import { labNodesOf, readFleet, writeFleet } from '../../../src/providers/local.js';
import type { Fleet } from '../../../src/providers/types.js';

describe('local provider helpers', () => {
  it('takes name, nat, role, impairment and region of each planned node (the region picks its round trips)', () => {
    const plan = { nodes: [
      { name: 'a', role: 'bootstrap', nat: 'none', arch: 'x86_64' },
      { name: 'b', role: 'peer', nat: 'symmetric', arch: 'aarch64', impair: { lossPercent: 1 }, region: 'nyc3' },
    ] } as unknown as Plan;
    expect(labNodesOf(plan)).toEqual([
      { name: 'a', nat: 'none', role: 'bootstrap' },
      { name: 'b', nat: 'symmetric', role: 'peer', impair: { lossPercent: 1 }, region: 'nyc3' },
    ]);
  });

  it('fleet.json round-trips and carries only the fields of a Fleet', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-fleet-'));
    try {
      const fleet = { runId: 'r', provider: 'local', nodes: [], clientKeyPath: '/k/client', controllerIp: '198.18.0.1', privateKey: 'SECRET' } as Fleet;
      await writeFleet(dir, fleet);
      expect(await readFile(path.join(dir, 'fleet.json'), 'utf8')).not.toContain('SECRET');
      expect(await readFleet(dir)).toEqual({ runId: 'r', provider: 'local', nodes: [], clientKeyPath: '/k/client', controllerIp: '198.18.0.1' });
      await expect(readFleet(path.join(dir, 'missing'))).rejects.toThrow(/no fleet recorded for this run/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
