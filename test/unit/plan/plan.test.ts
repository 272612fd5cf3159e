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
