// The SSH-side evidence reader and NAT flush (pure parts and bookkeeping): a round's counters are
// the difference to the last read; a read lost to the network makes that machine unmeasured for
// that round and the next (two rounds' packets cannot be told apart); an unreachable machine is
// skipped, a failing nft is an error naming the node. The real thing runs in
// test/integration/providers/digitalocean-evidence.test.ts.
import { describe, expect, it } from 'vitest';
import type { FleetNode } from '../../../src/fleet/types.js';
import { remoteTrialOps, renderNatFlushScript } from '../../../src/providers/remote-trials.js';
import type { SshPool } from '../../../src/ssh/index.js';

const node = (name: string, nat = 'none'): FleetNode => ({ name, role: 'peer', nat, arch: 'x86_64', publicIp: `198.51.100.${name.length}`, privateIp: '10.200.0.2', ssh: { host: 'h', port: 22, user: 'root', hostKey: 'k' }, workdir: '/w', execPrefix: [], resources: [], systemd: false }) as FleetNode;
const listing = (inPackets: number) => JSON.stringify({ nftables: [{ set: { name: 'peer_in', elem: [{ elem: { val: '203.0.113.9', counter: { packets: inPackets, bytes: 0 } } }] } }, { set: { name: 'peer_out', elem: [] } }] });

function stubPool(answers: Record<string, (() => { code: number; stdout: string; stderr: string }) | Error>[]) {
  const calls: string[] = [];
  let round = -1;
  const pool = {
    unreachable: () => undefined,
    exec: async (n: FleetNode, command: string) => {
      calls.push(`${n.name}: ${command.split('\n')[0]}`);
      const a = answers[round]?.[n.name];
      if (a instanceof Error) throw a;
      return a ? a() : { code: 0, stdout: '', stderr: '' };
    },
  } as unknown as SshPool;
  return { pool, calls, next: () => round++ };
}

describe('remote trial ops', () => {
  it('counts per round; a lost read leaves the machine out for that round and the next', async () => {
    const ok = (n: number) => () => ({ code: 0, stdout: listing(n), stderr: '' });
    const lost = new Error('lost the connection to node a');
    const s = stubPool([{ a: ok(5) }, { a: ok(8) }, { a: lost }, { a: ok(20) }, { a: ok(21) }]);
    const ops = remoteTrialOps(s.pool, [{ node: node('a'), evidenceTable: 'vt_evidence' }, { node: node('b') }]);
    const reads: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      s.next();
      const r = await ops.readEvidence();
      expect(r.has('b')).toBe(false); // no table: not measured
      reads.push(r.has('a') ? (r.get('a')?.in.get('203.0.113.9') ?? 0) : undefined);
    }
    expect(reads).toEqual([5, 3, undefined, undefined, 1]);
    expect(s.calls[0]).toBe('a: nft -j list table ip vt_evidence');
  });

  it('a failing nft names the node; the flush runs only on NAT machines with the node address', async () => {
    const s = stubPool([{ a: () => ({ code: 1, stdout: '', stderr: 'Error: No such file or directory' }) }]);
    s.next();
    const ops = remoteTrialOps(s.pool, [{ node: node('a'), evidenceTable: 'vt_evidence' }, { node: node('cone', 'full-cone'), natHostIp: '10.200.0.2' }]);
    await expect(ops.readEvidence()).rejects.toThrow('reading the path evidence on a failed: Error: No such file or directory');
    await ops.flushNat();
    expect(s.calls.filter((c) => c.startsWith('cone:'))).toEqual(['cone: sh -s']);
  });

  it('the flush script empties the recipe state and deletes only the node\'s connections', () => {
    const script = renderNatFlushScript('address-restricted', '10.200.0.2');
    expect(script).toContain('flush map ip vtnat fullcone\nflush set ip vtnat contacted\n');
    expect(script).toContain('conntrack -D "$dir" 10.200.0.2');
    expect(script).not.toContain('conntrack -F');
    expect(renderNatFlushScript('symmetric', '10.200.0.2')).not.toContain('nft -f');
  });
});
