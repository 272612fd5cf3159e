import { describe, expect, it } from 'vitest';
import { batchSteps } from '../../../src/lab/recipes/batch.js';
import { inNamespace, ip, type Step } from '../../../src/lab/recipes/steps.js';
import { inetSteps, machineSteps, planTopology } from '../../../src/lab/topology.js';

describe('batchSteps', () => {
  it('merges consecutive ip commands of one namespace into one ip -batch, keeping the order', () => {
    const steps: Step[] = [
      ip('a', 'link', 'set', 'lo', 'up'),
      ip('a', 'addr', 'add', '10.0.0.1/32', 'dev', 'eth0'),
      ip('b', 'link', 'set', 'lo', 'up'),
      inNamespace('b', ['sysctl', '-qw', 'net.ipv4.ip_forward=1']),
      ip('b', 'route', 'add', 'default', 'via', '10.0.0.1'),
      ip(undefined, 'netns', 'add', 'x'),
      ip(undefined, 'netns', 'add', 'y'),
    ];
    expect(batchSteps(steps)).toEqual([
      { argv: ['ip', '-n', 'a', '-batch', '-'], input: 'link set lo up\naddr add 10.0.0.1/32 dev eth0\n' },
      ip('b', 'link', 'set', 'lo', 'up'), // a run of one stays as it was
      inNamespace('b', ['sysctl', '-qw', 'net.ipv4.ip_forward=1']),
      ip('b', 'route', 'add', 'default', 'via', '10.0.0.1'),
      { argv: ['ip', '-batch', '-'], input: 'netns add x\nnetns add y\n' },
    ]);
  });

  it('never batches what ip -batch would split differently, steps with stdin, or ip with global options', () => {
    const odd: Step[] = [
      ip('a', 'link', 'set', 'lo', 'up'),
      ip('a', 'link', 'set', 'dev', 'we ird', 'up'),
      ip('a', 'link', 'set', 'lo', 'up'),
      { argv: ['ip', '-4', 'addr', 'show'] },
      { argv: ['ip', '-batch', '-'], input: 'x\n' },
    ];
    expect(batchSteps(odd)).toEqual(odd);
  });

  it('a machine of the lab costs a handful of processes instead of one per command', () => {
    const t = planTopology(
      [{ name: 'pub', nat: 'none', role: 'peer' }, { name: 'sym', nat: 'symmetric', role: 'peer' }],
      { runId: 'r1', subnetIndex: 3, labRoot: '/lab' },
    );
    const nat = machineSteps(t, t.machines[1]!, { netem: false });
    const batched = batchSteps(nat);
    expect(nat.length).toBeGreaterThan(20);
    // inet side, router side, host side, router again, then sysctl, the NAT ruleset and the
    // path-evidence counters
    expect(batched.length).toBeLessThanOrEqual(8);
    const lines = (list: Step[]) => list.flatMap((s) => (s.argv.includes('-batch') ? (s.input as string).trim().split('\n').map((l) => `${s.argv[2]} ${l}`) : [s.argv.join(' ')]));
    expect(lines(batched).length).toBe(nat.length);
    expect(batchSteps(inetSteps(t)).length).toBeLessThanOrEqual(4);
  });
});
