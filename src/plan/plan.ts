// Config + choices -> Plan. Pure: what will run, where, and what passes.
import { buildConfigOf } from '../build/from-config.js';
import { pairSuiteSchema, throughputSchema, type Config, type PairSuiteConfig } from '../config/schema.js';
import { PAIR_SUITES, type PairSuite } from '../config/model.js';
import { expectedPath, natSeenFromOutside } from '../results/oracle.js';
import type { Choices, Plan, PlannedNode, PlannedPair, PlannedSuite, Thresholds } from './types.js';
import { estimate } from './estimate.js';
import { plannedService, plannedSubject, throughputPairs } from './subject.js';
import { cannotServe } from '../config/subject-checks.js';
import { formatDuration } from '../config/units.js';
import { plannedRotation } from './rotation.js';

/** The plan cannot run with this config (e.g. a focus on a suite the subject cannot serve). */
export class PlanError extends Error {
  override name = 'PlanError';
}

export const DEFAULT_THRESHOLDS: Thresholds = { direct: 99, nat_traversed: 85, relay: 100 };
/** A pair suite the focus asks for but the config does not name: the schema's own defaults. */
const DEFAULT_PAIR_SUITE: PairSuiteConfig = pairSuiteSchema.parse({});
const DEFAULT_GOSSIP = { origins: 'all' as const, fanout: 3, duration: 5000 };

/** Which configured suites a focus selects; full-suite runs everything the config names. */
function suitesForFocus(config: Config, focus: Choices['focus']): string[] {
  const configured = [
    ...PAIR_SUITES.filter((s) => config.tests[s]),
    ...(config.tests.throughput ? ['throughput'] : []),
    ...(config.tests.gossip ? ['gossip'] : []),
    ...Object.keys(config.tests.scenarios).map((s) => `scenario:${s}`),
  ];
  switch (focus) {
    case 'full-suite':
      return configured.length ? configured : ['connectivity'];
    case 'connectivity':
    case 'nat-traversal':
    case 'throughput':
    case 'gossip':
      return [focus];
  }
}

export function orderedPairs(nodes: readonly PlannedNode[], suite: PairSuite): PlannedPair[] {
  const pairs: PlannedPair[] = [];
  for (const from of nodes) {
    for (const to of nodes) {
      if (from.name === to.name) continue;
      // a node behind two NATs is judged by what the pair behaves like from outside (docs/architecture.md, "Double NAT")
      const expected = expectedPath(natSeenFromOutside(from.nat, from.behind), natSeenFromOutside(to.nat, to.behind));
      // nat-traversal only looks at pairs that must cross a NAT; relay forces every pair through it.
      if (suite === 'nat-traversal' && expected === 'direct') continue;
      pairs.push({ from: from.name, to: to.name, expectedPath: suite === 'relay' ? 'relay' : expected });
    }
  }
  return pairs;
}

function plannedNodes(config: Config): PlannedNode[] {
  return config.fleet.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    nat: n.nat,
    arch: n.arch,
    ...(n.region !== undefined && { region: n.region }),
    ...(n.size !== undefined && { size: n.size }),
    ...(n.impair !== undefined && { impair: n.impair }),
    ...(n.hairpin !== undefined && { hairpin: n.hairpin }),
    ...(n.behind !== undefined && { behind: n.behind }),
    ...(n.machine === 'vm' && { machine: 'vm' as const }),
    ...(n.host !== undefined && { host: n.host, port: n.port ?? 22, user: n.user ?? 'root' }),
    ...(n.host_key !== undefined && { hostKey: n.host_key }),
  }));
}

const CATEGORY_OF_PATH = { direct: 'direct', hole_punch: 'nat_traversed', relay: 'relay' } as const;

/**
 * Thresholds per category. Defaults apply only to categories the plan has pairs for (a fleet
 * without a NAT pair that needs the relay is not "degraded" for lacking relay attempts); what
 * the config names explicitly is always judged.
 */
function thresholdsFor(config: Config, mode: Choices['criteria'], suites: PlannedSuite[]): Thresholds {
  const configured: Thresholds = {};
  for (const s of PAIR_SUITES) if (suites.some((p) => p.name === s)) Object.assign(configured, config.tests[s]?.criteria ?? {});
  const present = new Set(suites.flatMap((s) => s.pairs.map((p) => CATEGORY_OF_PATH[p.expectedPath])));
  const defaults = (value: (category: string) => number) => Object.fromEntries([...present].map((c) => [c, value(c)]));
  switch (mode) {
    case 'all-pass':
      return { ...defaults(() => 100), ...Object.fromEntries(Object.keys(configured).map((k) => [k, 100])) };
    case 'threshold':
      return { ...defaults((c) => DEFAULT_THRESHOLDS[c] as number), ...configured };
    case 'improvement':
      return {}; // judged only against the baseline (regression_tolerance)
    case 'custom':
      return configured;
  }
}

export function buildPlan(config: Config, choices: Choices): Plan {
  const nodes = plannedNodes(config);
  const suiteNames = suitesForFocus(config, choices.focus);
  const subject = plannedSubject(config);
  const suites: PlannedSuite[] = suiteNames.map((name) => {
    if ((PAIR_SUITES as readonly string[]).includes(name)) {
      const cfg = config.tests[name as PairSuite] ?? DEFAULT_PAIR_SUITE;
      const pairs = orderedPairs(nodes, name as PairSuite);
      // Only the agent probes a round's pairs all at once; a big fleet's rounds rotate.
      const rotation = subject.driver === 'agent' ? plannedRotation(pairs) : undefined;
      return { name, trials: cfg.trials, pairs, timeoutMs: cfg.timeout, ...(rotation && { rotation }) };
    }
    return { name, trials: 1, pairs: [] };
  });
  for (const s of suites) {
    const why = cannotServe(config, s.name);
    if (why && !s.name.startsWith('scenario:')) throw new PlanError(`${why}; nothing was built or provisioned`);
  }
  const pairConfigs = suites.map((s) => config.tests[s.name as PairSuite]).filter((c): c is PairSuiteConfig => c !== undefined);
  const throughput = config.tests.throughput ?? (suiteNames.includes('throughput') ? throughputSchema.parse({}) : undefined);
  const gossip = config.tests.gossip ?? (suiteNames.includes('gossip') ? { ...DEFAULT_GOSSIP, criteria: { delivery: 100 } } : undefined);
  const plan: Plan = {
    choices,
    provider: config.fleet.provider,
    nodes,
    ...(config.fleet.internet && { internet: config.fleet.internet }),
    ...(config.fleet.vm && config.fleet.vm.accel !== 'auto' && { vmAccel: config.fleet.vm.accel }),
    suites,
    thresholds: thresholdsFor(config, choices.criteria, suites),
    // the smallest configured minimum (never capped by the default), else the default
    minAttempts: pairConfigs.length ? Math.min(...pairConfigs.map((c) => c.min_attempts)) : DEFAULT_PAIR_SUITE.min_attempts,
    regressionTolerance: config.soak?.regression_tolerance ?? config.regression_tolerance,
    deadClass: pairConfigs.some((c) => c.dead_class === 'fail') ? 'fail' : 'degraded',
    malformedTolerance: config.subject?.malformed_lines ?? 0,
    subject,
    ...(config.service && { service: plannedService(config.service) }),
    ...(throughput &&
      suiteNames.includes('throughput') && {
        throughput: {
          seconds: throughput.seconds,
          pairs: throughputPairs(nodes, throughput.pairs),
          ...(throughput.criteria.min_mbps !== undefined && { minMbps: throughput.criteria.min_mbps }),
          ...(throughput.criteria.max_loss !== undefined && { maxLoss: throughput.criteria.max_loss }),
        },
      }),
    ...(gossip &&
      suiteNames.includes('gossip') && {
        gossip: {
          origins: gossip.origins === 'all' ? nodes.map((n) => n.name) : gossip.origins,
          fanout: gossip.fanout,
          durationMs: gossip.duration,
          minDelivery: gossip.criteria.delivery,
          ...(gossip.criteria.p95_ms !== undefined && { maxP95Ms: gossip.criteria.p95_ms }),
        },
      }),
    ...(suiteNames.some((n) => n.startsWith('scenario:')) && {
      scenarios: Object.fromEntries(Object.entries(config.tests.scenarios).filter(([n]) => suiteNames.includes(`scenario:${n}`))),
    }),
    ...(config.metrics && { metrics: config.metrics }),
    ...(config.soak && { soak: { checkpoints: config.soak.checkpoints.map((ms) => ({ name: formatDuration(ms), afterMs: ms })), regressionTolerance: config.soak.regression_tolerance } }),
    build: buildConfigOf(config),
    ...(config.report.journal && { journal: config.report.journal }),
    binary: describeBinary(config),
    estimate: { nodeMinutes: 0 },
    ...(config.fleet.provider === 'digitalocean' && { digitalocean: { region: config.fleet.digitalocean?.region ?? 'nyc3', size: config.fleet.digitalocean?.size ?? 's-1vcpu-1gb', image: config.fleet.digitalocean?.image ?? 'ubuntu-24-04-x64', ttlMs: config.fleet.digitalocean?.ttl ?? 7_200_000, ...(config.fleet.digitalocean && config.fleet.digitalocean.boot_timeout !== 300_000 && { bootTimeoutMs: config.fleet.digitalocean.boot_timeout }) } }),
  };
  plan.estimate = estimate(plan, config);
  return plan;
}

const ARCH_TARGET = { x86_64: 'x86_64-linux-musl', aarch64: 'aarch64-linux-musl' } as const;

function describeBinary(config: Config): Plan['binary'] {
  const b = config.build;
  const targets = b.targets ?? [...new Set(config.fleet.nodes.map((n) => ARCH_TARGET[n.arch]))];
  switch (b.kind) {
    case 'agent':
      return { kind: 'agent', description: 'vps-agent, the reference probe agent (C, built with zig)', targets };
    case 'prebuilt':
      {
      const p = b.prebuilt;
      const source = p ? ('url' in p ? p.url : p.path) : '?';
      return { kind: 'prebuilt', description: `prebuilt ${source} (sha256 ${p?.sha256.slice(0, 12)}…)`, targets };
    }
    default:
      return { kind: b.kind, description: `${b.kind} build${b.package ? ` of ${b.package}` : ''} with zig`, targets };
  }
}
