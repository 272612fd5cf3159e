import { describe, expect, it } from 'vitest';
import { natMachineSteps, renderNatScript, renderNatTeardownScript } from '../../../src/lab/recipes/nat-machine.js';
import { parseRuleset } from './nft-parse.js';

const OPTIONS = {
  nat: 'port-restricted' as const, wan: 'eth0', hostNs: 'natnode', lanRouterIp: '10.200.0.1', lanHostIp: '10.200.0.2',
  lanPrefixLen: 24, sshFrom: ['203.0.113.5'], netem: false,
};

describe('NAT machine recipe', () => {
  it('in the lab, router-side steps target the router namespace and host-side steps the host namespace', () => {
    const steps = natMachineSteps({ ...OPTIONS, routerNs: 'rt', wan: 'wan' });
    expect(steps[0]?.argv).toEqual(['ip', 'netns', 'add', 'natnode']);
    expect(steps.find((s) => s.argv.includes('veth'))?.argv).toEqual(
      ['ip', '-n', 'rt', 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'natnode'],
    );
    expect(steps.find((s) => s.argv.includes('default'))?.argv).toEqual(['ip', '-n', 'natnode', 'route', 'add', 'default', 'via', '10.200.0.1']);
    const nft = steps.find((s) => s.argv[0] === 'nft');
    expect(nft?.ns).toBe('rt');
    expect(nft?.input).toMatch(/^table ip vtnat\ndelete table ip vtnat\n/);
    expect(steps.find((s) => s.argv[0] === 'sysctl')?.ns).toBe('rt');
  });

  it('impairs the host link: host egress up, router lan egress down, loss in the host namespace', () => {
    const steps = natMachineSteps({ ...OPTIONS, routerNs: 'rt', impair: { rateKbit: 800, lossPercent: 3 } });
    const tc = steps.filter((s) => s.argv[0] === 'tc');
    expect(tc.map((s) => [s.ns, s.argv[4]])).toEqual([['natnode', 'eth0'], ['rt', 'lan']]);
    expect(steps.filter((s) => s.argv[0] === 'nft').map((s) => s.ns)).toEqual(['rt', 'natnode']);
  });

  it('renders one standalone, re-runnable script with the machine itself as the router', () => {
    const script = renderNatScript(OPTIONS);
    const lines = script.split('\n');
    expect(lines[0]).toBe('#!/bin/sh');
    expect(lines).toContain('set -eu');
    // cleanup of a previous run comes before the creation
    expect(script.indexOf('ip netns del natnode')).toBeLessThan(script.indexOf('ip netns add natnode'));
    expect(lines).toContain('ip link add lan type veth peer name eth0 netns natnode');
    expect(lines).toContain('sysctl -qw net.ipv4.ip_forward=1');
    expect(script).not.toContain('ip netns exec natnode nft'); // NAT rules on the machine itself
    const heredoc = /nft -f - <<'VT_EOF'\n([\s\S]*?)VT_EOF/.exec(script)?.[1] ?? '';
    const table = parseRuleset(heredoc.split('\n').slice(2).join('\n'));
    expect(table.chains.wan_input?.rules).toContain('iifname "eth0" ip saddr { 203.0.113.5 } tcp dport 22 accept');
  });

  it('teardown kills the namespace’s processes, removes it, its veth and the NAT table', () => {
    const script = renderNatTeardownScript({ hostNs: 'natnode' });
    expect(script).toContain('ip netns pids natnode');
    expect(script).toContain('ip netns del natnode');
    expect(script).toContain('ip link del lan');
    expect(script).toContain('nft delete table ip vtnat');
  });
});
