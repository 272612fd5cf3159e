import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { buildPlan } from '../../../src/plan/plan.js';
import { renderPlanSummary } from '../../../src/plan/summary.js';
import { resolveChoices, checkChoice, type Prompter } from '../../../src/plan/choices.js';
import type { Choices } from '../../../src/plan/types.js';

const example = parseConfig(readFileSync('examples/lab-nat-matrix.yml', 'utf8'), 'lab-nat-matrix.yml');
const choices: Choices = { project: 'p', focus: 'full-suite', criteria: 'threshold', proof: 'all-evidence' };

describe('buildPlan', () => {
  it('plans every ordered pair with the oracle path', () => {
    const plan = buildPlan(example, choices);
    const suite = plan.suites.find((s) => s.name === 'connectivity')!;
    expect(suite.pairs).toHaveLength(30);
    expect(suite.trials).toBe(10);
    const path = (from: string, to: string) => suite.pairs.find((p) => p.from === from && p.to === to)?.expectedPath;
    expect(path('fullcone', 'public')).toBe('direct');
    expect(path('public', 'symmetric')).toBe('hole_punch');
    expect(path('portrestr', 'symmetric')).toBe('relay');
    expect(path('symmetric', 'portrestr')).toBe('relay');
    expect(path('symmetric', 'fullcone')).toBe('hole_punch');
    expect(suite.pairs.filter((p) => p.expectedPath === 'relay')).toHaveLength(2);
  });

  it('derives thresholds from the criteria mode', () => {
    expect(buildPlan(example, choices).thresholds).toEqual({ direct: 99, nat_traversed: 85, relay: 100 });
    expect(buildPlan(example, { ...choices, criteria: 'all-pass' }).thresholds).toEqual({ direct: 100, nat_traversed: 100, relay: 100 });
    expect(buildPlan(example, { ...choices, criteria: 'improvement' }).thresholds).toEqual({});
  });

  it('judges by default only the categories the fleet has pairs for, and always what the config names', () => {
    const text = 'fleet:\n  nodes:\n    - { name: boot, role: bootstrap }\n    - { name: a, nat: full-cone }\ntests:\n  connectivity: {}\n';
    expect(buildPlan(parseConfig(text, 'x.yml'), choices).thresholds).toEqual({ direct: 99, nat_traversed: 85 });
    const named = text.replace('connectivity: {}', 'connectivity: { criteria: { relay: 90 } }');
    expect(buildPlan(parseConfig(named, 'x.yml'), choices).thresholds).toEqual({ direct: 99, nat_traversed: 85, relay: 90 });
  });

  it('nat-traversal focus keeps only pairs that cross a NAT', () => {
    const plan = buildPlan(example, { ...choices, focus: 'nat-traversal' });
    expect(plan.suites[0]!.pairs.every((p) => p.expectedPath !== 'direct')).toBe(true);
    expect(plan.suites[0]!.pairs).toHaveLength(20);
  });

  it('estimates cost for cloud fleets only', () => {
    // long enough to cost more than a cent
    const text = readFileSync('examples/digitalocean-nat-matrix.yml', 'utf8').replace('trials: 20', 'trials: 2000');
    const plan = buildPlan(parseConfig(text, 'do.yml'), choices);
    expect(plan.estimate.costUsd).toBeGreaterThan(0);
    expect(buildPlan(example, choices).estimate.costUsd).toBeUndefined();
    expect(renderPlanSummary(plan)).toMatch(/about \$\d+\.\d\d/);
    // a node's own size is priced as its own, and carried into the plan with the fleet's settings
    const bigger = buildPlan(parseConfig(text.replace('{ name: symmetric,   nat: symmetric }', '{ name: symmetric, nat: symmetric, size: s-2vcpu-4gb }'), 'do.yml'), choices);
    expect(bigger.nodes.find((n) => n.name === 'symmetric')?.size).toBe('s-2vcpu-4gb');
    expect(bigger.estimate.costUsd).toBeGreaterThan(plan.estimate.costUsd as number);
    expect(plan.digitalocean).toEqual({ region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', ttlMs: 8 * 3_600_000 });
  });

  it('summarises the plan in words', () => {
    const text = renderPlanSummary(buildPlan(example, choices));
    expect(text).toContain('criteria  threshold: direct >= 99%, nat_traversed >= 85%, relay >= 100%');
    expect(text).toContain('30 ordered pairs x 10 trials = 300 attempts (expected: 10 direct, 18 hole punch, 2 relay)');
    expect(text).toContain('symmetric (symmetric)');
  });
});

describe('choices', () => {
  it('never prompts without a prompter and uses defaults', async () => {
    expect(await resolveChoices({ focus: 'gossip' }, 'proj')).toEqual({ project: 'proj', focus: 'gossip', criteria: 'threshold', proof: 'all-evidence' });
  });
  it('asks only for what flags did not give', async () => {
    const asked: string[] = [];
    const prompter: Prompter = {
      select: async (message, values) => (asked.push(message), values[0]!),
      input: async (message, d) => (asked.push(message), d),
    };
    const c = await resolveChoices({ proof: 'logs' }, 'proj', prompter);
    expect(asked).toEqual(['Project', 'Focus', 'Success criteria']);
    expect(c).toEqual({ project: 'proj', focus: 'connectivity', criteria: 'all-pass', proof: 'logs' });
  });
  it('rejects a bad flag value naming the allowed ones', () => {
    expect(() => checkChoice('focus', 'speed', ['a', 'b'])).toThrow('--focus speed: not one of a, b');
  });
});

describe('the lab internet in the plan', () => {
  it('carries fleet.internet and per-node hairpin into the plan, and the summary says so', () => {
    const config = parseConfig(readFileSync('examples/lab-internet.yml', 'utf8'), 'lab-internet.yml');
    const plan = buildPlan(config, { project: 'lab-internet', focus: 'connectivity', criteria: 'threshold', proof: 'logs' });
    expect(plan.internet).toEqual({ hops: 12, rttMs: 30, regions: [{ between: ['eu', 'us'], rttMs: 150 }] });
    expect(plan.nodes.find((n) => n.name === 'cafe')).toMatchObject({ hairpin: false, region: 'us' });
    const summary = renderPlanSummary(plan);
    expect(summary).toContain('internet  12 hops, round trip 30 ms (eu-us 150 ms)');
    expect(summary).toContain('cafe (port-restricted, us, no hairpin)');
    expect(summary).toContain('carrier (symmetric-sequential, eu)');
  });
});

describe('a double-NAT node in the plan', () => {
  it('is judged by what it looks like from outside: a port-restricted router behind a symmetric carrier needs the relay with a port-restricted peer', () => {
    const config = parseConfig(
      'fleet:\n  nodes:\n    - { name: boot, role: bootstrap }\n    - { name: pr, nat: port-restricted }\n    - { name: home, nat: port-restricted, behind: symmetric-sequential }\n    - { name: fc, nat: full-cone }\ntests:\n  connectivity: {}\n',
      'x.yml',
    );
    const plan = buildPlan(config, choices);
    const pairs = plan.suites.find((s) => s.name === 'connectivity')!.pairs;
    const path = (from: string, to: string) => pairs.find((p) => p.from === from && p.to === to)?.expectedPath;
    expect(path('home', 'pr')).toBe('relay');
    expect(path('pr', 'home')).toBe('relay');
    expect(path('home', 'fc')).toBe('hole_punch');
    expect(path('home', 'boot')).toBe('direct');
    expect(plan.nodes.find((n) => n.name === 'home')).toMatchObject({ nat: 'port-restricted', behind: 'symmetric-sequential' });
    expect(renderPlanSummary(plan)).toContain('home (port-restricted, behind a symmetric-sequential NAT)');
  });
});
