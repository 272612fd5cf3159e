import { describe, expect, it } from 'vitest';
import { parseConfig, loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/config/errors.js';
import { parseDuration, parsePercent, parseRate, formatDuration } from '../../../src/config/units.js';
import { checkPlaceholders, expandPlaceholders } from '../../../src/config/placeholders.js';

const MINIMAL = `fleet:
  nodes:
    - { name: boot, role: bootstrap }
    - { name: a, nat: symmetric }
`;

describe('units', () => {
  it('parses durations, percentages and rates', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('120ms')).toBe(120);
    expect(parseDuration('30')).toBeUndefined();
    expect(parsePercent('1%')).toBe(1);
    expect(parsePercent(85)).toBe(85);
    expect(parsePercent(101)).toBeUndefined();
    expect(parseRate('10mbit')).toBe(10_000);
    expect(parseRate('10mb')).toBeUndefined();
    expect(formatDuration(7_200_000)).toBe('2h');
  });
});

describe('parseConfig', () => {
  it('fills defaults so a minimal file works', () => {
    const c = parseConfig(MINIMAL, 'x.yml');
    expect(c.build.kind).toBe('agent');
    expect(c.fleet.provider).toBe('local');
    expect(c.fleet.nodes[1]).toMatchObject({ name: 'a', role: 'peer', nat: 'symmetric', arch: 'x86_64' });
    expect(c.report).toEqual({ pr_comment: true, journal: false, artifacts: true });
    expect(c.tests.scenarios).toEqual({});
  });

  it('converts units to numbers, defaults included', () => {
    const c = parseConfig(`${MINIMAL}tests:\n  connectivity: { trials: 3 }\n  gossip: { duration: 2s }\n`, 'x.yml');
    expect(c.tests.connectivity).toEqual({ trials: 3, timeout: 3000, criteria: {}, min_attempts: 10, dead_class: 'degraded' });
    expect(c.tests.gossip?.duration).toBe(2000);
  });

  it('accepts soak checkpoints in increasing order and refuses them out of order, naming the entry', () => {
    expect(parseConfig(`${MINIMAL}soak: { checkpoints: [1h, 6h], regression_tolerance: 5 }\n`, 'x.yml').soak).toEqual({ checkpoints: [3_600_000, 21_600_000], regression_tolerance: 5 });
    expect(() => parseConfig(`${MINIMAL}soak: { checkpoints: [6h, 1h] }\n`, 'x.yml')).toThrow(/x\.yml:\d+:\d+: soak\.checkpoints\[1\]: soak checkpoints must be in increasing order/);
  });

  it('reports several problems at once, in source order', () => {
    const text = `fleet:\n  provider: cloud\n  nodes:\n    - { name: boot, role: bootstrap, nat: fullcone }\n    - { name: a, speed: 3 }\n`;
    try {
      parseConfig(text, 'c.yml');
      expect.unreachable();
    } catch (err) {
      const problems = (err as ConfigError).problems;
      expect(problems.map((p) => `${p.line}:${p.col}`)).toEqual(['2:13', '4:43', '5:18']);
      expect((err as Error).message.split('\n')[0]).toMatch(/^c\.yml:2:13: fleet\.provider: "cloud" is not allowed/);
    }
  });

  it('names a missing file clearly', async () => {
    await expect(loadConfig('/nonexistent/.vps-test.yml')).rejects.toThrow(/file not found/);
  });
});

describe('placeholders', () => {
  const nodes = [
    { name: 'boot', ip: '203.0.113.2', private_ip: '203.0.113.2' },
    { name: 'a', ip: '203.0.113.3', private_ip: '10.1.0.2' },
  ];
  it('accepts known forms and leaves shell syntax alone', () => {
    expect(checkPlaceholders('{bin} --b {node:boot.ip}:9 ${HOME} {a,b} {var:x}', ['boot'], ['x'])).toEqual([]);
  });
  it('expands per node', () => {
    const out = expandPlaceholders('{bin} --me {node} {ip}/{private_ip} --boot {node:boot.ip} --peers {peers}', { self: nodes[1]!, nodes, bin: '/w/bin/agent' });
    expect(out).toBe('/w/bin/agent --me a 203.0.113.3/10.1.0.2 --boot 203.0.113.2 --peers 203.0.113.2');
  });
  it('rejects unknown nodes and variables', () => {
    expect(checkPlaceholders('{node:zz.ip}', ['boot'])[0]).toMatch(/names node 'zz'/);
    expect(checkPlaceholders('{var:id}', ['boot'])[0]).toMatch(/no earlier capture step/);
  });
});

describe('fleet.internet (the local lab)', () => {
  const withRegions = `fleet:
  nodes:
    - { name: boot, role: bootstrap, region: eu }
    - { name: a, nat: symmetric, region: us }
`;
  it('parses hops, rtt and region round trips into ms; absent means the lab defaults', () => {
    expect(parseConfig(MINIMAL, 'x.yml').fleet.internet).toBeUndefined();
    const c = parseConfig(`${withRegions}  internet: { hops: 8, rtt: 30ms, regions: [{ between: [eu, us], rtt: 90ms }] }\n`, 'x.yml');
    expect(c.fleet.internet).toEqual({ hops: 8, rttMs: 30, regions: [{ between: ['eu', 'us'], rttMs: 90 }] });
    expect(parseConfig(`${MINIMAL}  internet: { rtt: 20ms }\n`, 'x.yml').fleet.internet).toEqual({ hops: 12, rttMs: 20, regions: [] });
  });

  it('refuses bad values, unknown keys, unknown regions and a non-lab provider, naming where', () => {
    const bad = (text: string) => () => parseConfig(text, 'x.yml');
    expect(bad(`${MINIMAL}  internet: { hops: 0 }\n`)).toThrow(/fleet\.internet\.hops/);
    expect(bad(`${MINIMAL}  internet: { rtt: fast }\n`)).toThrow(/not a duration/);
    expect(bad(`${MINIMAL}  internet: { latency: 5ms }\n`)).toThrow(/latency/);
    expect(bad(`${withRegions}  internet: { regions: [{ between: [eu, mars], rtt: 9ms }] }\n`)).toThrow(/no node has region 'mars'/);
    const inventory = `fleet:\n  provider: inventory\n  internet: { rtt: 5ms }\n  nodes:\n    - { name: a, host: 10.0.0.1, host_key: "ssh-ed25519 AAAA" }\n    - { name: b, host: 10.0.0.2, host_key: "ssh-ed25519 AAAB" }\n`;
    expect(bad(inventory)).toThrow(/shapes the local lab only/);
  });
});

describe('per-node hairpin and the sequential symmetric NAT', () => {
  const node = (extra: string) => `fleet:\n  nodes:\n    - { name: boot, role: bootstrap }\n    - { name: a, ${extra} }\n`;
  it('accepts hairpin on NAT types that have it and the symmetric-sequential preset', () => {
    expect(parseConfig(node('nat: full-cone, hairpin: false'), 'x.yml').fleet.nodes[1]).toMatchObject({ nat: 'full-cone', hairpin: false });
    expect(parseConfig(node('nat: symmetric-sequential'), 'x.yml').fleet.nodes[1]?.nat).toBe('symmetric-sequential');
    expect(parseConfig(node('nat: symmetric, hairpin: false'), 'x.yml').fleet.nodes[1]?.hairpin).toBe(false);
  });
  it('refuses hairpin where it cannot apply, naming the node', () => {
    expect(() => parseConfig(node('hairpin: true'), 'x.yml')).toThrow(/node 'a': hairpin applies to a node behind a NAT/);
    expect(() => parseConfig(node('nat: symmetric-sequential, hairpin: true'), 'x.yml')).toThrow(/symmetric-sequential NAT has no hairpinning/);
    expect(() => parseConfig(node('nat: port-restricted-remapped, hairpin: true'), 'x.yml')).toThrow(/port-restricted-remapped NAT has no hairpinning/);
  });
});

describe('behind: a double NAT', () => {
  const node = (extra: string, provider = '') => `fleet:\n${provider}  nodes:\n    - { name: boot, role: bootstrap }\n    - { name: a, ${extra} }\n`;
  it('takes the carrier NAT a node’s own router sits behind', () => {
    expect(parseConfig(node('nat: port-restricted, behind: symmetric-sequential'), 'x.yml').fleet.nodes[1]).toMatchObject({ nat: 'port-restricted', behind: 'symmetric-sequential' });
  });
  it('refuses behind on a public node, behind: none, hairpin with it, and a non-lab provider, naming the node', () => {
    const bad = (text: string) => () => parseConfig(text, 'x.yml');
    expect(bad(node('behind: full-cone'))).toThrow(/node 'a': behind needs the node's own NAT \(nat is none\)/);
    expect(bad(node('nat: full-cone, behind: none'))).toThrow(/fleet\.nodes\[1\]\.behind/);
    expect(bad(node('nat: full-cone, behind: symmetric, hairpin: false'))).toThrow(/hairpin is not available behind two NATs/);
    expect(bad(node('nat: full-cone, behind: symmetric, machine: vm'))).toThrow(/node 'a': a VM machine behind two NATs is not built yet/);
    expect(bad(node('nat: full-cone, behind: symmetric', '  provider: digitalocean\n'))).toThrow(/behind \(a double NAT\) is built by the local lab only/);
  });
});
