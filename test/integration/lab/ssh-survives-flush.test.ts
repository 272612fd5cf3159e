// Regression: flushing conntrack between rounds must not break the controller's SSH connection
// to a NAT router. With `masquerade random` applied to the router's own traffic, the first
// packet sshd sent after a flush got a random source port and the connection was reset.
import { afterAll, describe, expect, it } from 'vitest';
import { createLab, destroyLab, flushConntrack, type Lab } from '../../../src/lab/lab.js';
import { SshPool } from '../../../src/ssh/index.js';
import { isRoot, uniqueRunId } from './helpers.js';

if (!isRoot) console.log('skipping ssh-survives-flush: needs root (network namespaces, nftables, sshd)');

describe.skipIf(!isRoot)('SSH to NAT routers across conntrack flushes', () => {
  const runId = uniqueRunId('flush');
  let lab: Lab | undefined;
  afterAll(async () => {
    await destroyLab(runId);
  });

  it('keeps every connection while output is flowing during the flush', async () => {
    lab = await createLab({ runId, nodes: ['full-cone', 'address-restricted', 'port-restricted', 'symmetric'].map((nat, i) => ({ name: `n${i}`, nat: nat as never, role: 'peer' as const })) }, { handleSignals: false });
    const pool = SshPool.forFleet(lab.fleet);
    try {
      for (let round = 0; round < 3; round++) {
        const running = lab.fleet.nodes.map((node) => pool.exec(node, 'sleep 0.6; echo alive', { timeoutMs: 15_000 }));
        await new Promise((r) => setTimeout(r, 300));
        await flushConntrack(lab.fleet);
        const results = await Promise.all(running);
        expect(results.map((r) => `${r.code}:${r.stdout.trim()}`)).toEqual(['0:alive', '0:alive', '0:alive', '0:alive']);
      }
    } finally {
      await pool.close();
    }
  });
});
