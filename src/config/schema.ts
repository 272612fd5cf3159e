// The .vps-test.yml schema. This file is the truth the README's config reference documents.
// Every object is strict (unknown keys are errors: a typo must not silently disable a test).
import { z } from 'zod';
import { ARCHES, NAT_TYPES, ROLES, PAIR_SUITES } from './model.js';
import { duration, percent, rate } from './fields.js';
import { scenarioSchema } from './scenario.js';
import { subjectSchema } from './subject.js';
import { metricsSchema } from './metrics.js';

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,30}$/, 'names use lowercase letters, digits and "-", start with a letter, at most 31 characters');

const impairSchema = z
  .strictObject({ delay: duration.optional(), jitter: duration.optional(), loss: percent.optional(), rate: rate.optional() })
  .transform((i) => ({ delayMs: i.delay, jitterMs: i.jitter, lossPercent: i.loss, rateKbit: i.rate }));

const nodeSchema = z.strictObject({
  name,
  role: z.enum(ROLES).default('peer'),
  nat: z.enum(NAT_TYPES).default('none'),
  arch: z.enum(ARCHES).default('x86_64'),
  region: z.string().optional(),
  /** digitalocean: droplet size slug for this node (default fleet.digitalocean.size) */
  size: z.string().optional(),
  impair: impairSchema.optional(),
  /** NAT'd lab nodes: hairpinning on the router (RFC 4787 REQ-9; default on where the NAT type has it). */
  hairpin: z.boolean().optional(),
  /** NAT'd lab nodes: the NAT their own router sits behind (a carrier-grade NAT): a double NAT. */
  behind: z.enum(NAT_TYPES).exclude(['none']).optional(),
  /** local lab: 'vm' runs the node in a VM with its own kernel (docs/architecture.md, "VM machines"). */
  machine: z.enum(['namespace', 'vm']).optional(),
  // inventory hosts
  host: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().optional(),
  host_key: z
    .string()
    .regex(/^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa) [A-Za-z0-9+/=]+/, 'expected an OpenSSH public host key ("ssh-ed25519 AAAA...")')
    .optional(),
});

const sha256 = z.string().regex(/^[a-f0-9]{64}$/, 'expected 64 lowercase hex characters');

const BUILD_KINDS = ['agent', 'cargo', 'c', 'go', 'zig', 'prebuilt'] as const;

const buildSchema = z
  .strictObject({
    kind: z.enum(BUILD_KINDS).default('agent'),
    /** cargo package / binary name */
    package: z.string().optional(),
    binary: z.string().optional(),
    /** source dir or files, relative to the config file */
    source: z.union([z.string(), z.array(z.string())]).optional(),
    targets: z.array(z.string().min(1)).min(1).optional(),
    prebuilt: z
      .union([z.strictObject({ path: z.string().min(1), sha256 }), z.strictObject({ url: z.url(), sha256 })], {
        error: 'prebuilt takes exactly one of path or url, and sha256',
      })
      .optional(),
    zig: z.strictObject({ version: z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a version such as 0.11.0') }).optional(),
    flags: z.array(z.string()).default([]),
  })
  .refine((b) => b.kind !== 'prebuilt' || b.prebuilt !== undefined, { message: 'kind prebuilt needs prebuilt: { path or url, sha256 }', path: ['prebuilt'] })
  .default({ kind: 'agent', flags: [] });

// The lab's internet (local provider): routers between any two machines, round trip between
// them, and optionally between nodes' regions.
const internetSchema = z
  .strictObject({
    hops: z.number().int().min(1).max(64).default(12),
    rtt: duration.optional(),
    /** round trips vary per packet within rtt +- jitter (the lab's delayer; never reorders) */
    jitter: duration.optional(),
    regions: z
      .array(z.strictObject({ between: z.tuple([z.string().min(1), z.string().min(1)]), rtt: duration, jitter: duration.optional() }))
      .default([]),
  })
  .transform((i) => ({
    hops: i.hops,
    rttMs: i.rtt ?? 0,
    ...(i.jitter !== undefined && { jitterMs: i.jitter }),
    regions: i.regions.map((r) => ({ between: r.between, rttMs: r.rtt, ...(r.jitter !== undefined && { jitterMs: r.jitter }) })),
  }));

const fleetSchema = z
  .strictObject({
    provider: z.enum(['local', 'digitalocean', 'inventory']).default('local'),
    digitalocean: z
      .strictObject({
        region: z.string().default('nyc3'),
        size: z.string().default('s-1vcpu-1gb'),
        image: z.string().default('ubuntu-24-04-x64'),
        ttl: duration.prefault('2h'),
        /** until every droplet is active, answers SSH and finished cloud-init */
        boot_timeout: duration.prefault('5m'),
      })
      .optional(),
    nodes: z.array(nodeSchema).min(2, 'a fleet needs at least 2 nodes: pairs are tested between different machines'),
    internet: internetSchema.optional(),
    /** VM machines (machine: vm): which accelerator; kvm refuses to fall back to software emulation */
    vm: z.strictObject({ accel: z.enum(['auto', 'kvm', 'tcg']).default('auto') }).optional(),
  });

const criteriaKey = new RegExp(`^(direct|nat_traversed|relay|(${NAT_TYPES.join('|')})->(${NAT_TYPES.join('|')}))$`);
const criteriaSchema = z.record(
  z.string().regex(criteriaKey, 'criteria names are direct, nat_traversed, relay or a NAT pair such as full-cone->symmetric'),
  percent,
);

export const pairSuiteSchema = z.strictObject({
  trials: z.number().int().min(1).max(10_000).default(10),
  timeout: duration.prefault('3s'),
  criteria: criteriaSchema.default({}),
  min_attempts: z.number().int().min(1).default(10),
  /** a NAT-type class or node pair that never succeeds: degrades the verdict, or fails it */
  dead_class: z.enum(['degraded', 'fail']).default('degraded'),
});

export const throughputSchema = z.strictObject({
  seconds: z.number().min(1).max(600).default(10),
  pairs: z.union([z.literal('all'), z.literal('sample'), z.array(z.tuple([z.string(), z.string()]))]).default('sample'),
  criteria: z.strictObject({ min_mbps: z.number().min(0).optional(), max_loss: percent.optional() }).default({}),
});

const gossipSchema = z.strictObject({
  origins: z.union([z.literal('all'), z.array(z.string())]).default('all'),
  fanout: z.number().int().min(1).default(3),
  /** how long each message may take to spread before delivery is counted */
  duration: duration.prefault('5s'),
  criteria: z.strictObject({ delivery: percent.default(100), p95_ms: z.number().min(0).optional() }).default({ delivery: 100 }),
});

export const KNOWN_TESTS = [...PAIR_SUITES, 'throughput', 'gossip'] as const;

const testsSchema = z
  .strictObject({
    connectivity: pairSuiteSchema.optional(),
    'nat-traversal': pairSuiteSchema.optional(),
    relay: pairSuiteSchema.optional(),
    throughput: throughputSchema.optional(),
    gossip: gossipSchema.optional(),
    scenarios: z.record(name, scenarioSchema).default({}),
  })
  .default({ scenarios: {} });

const serviceSchema = z.strictObject({
  command: z.string().min(1),
  ready: z
    .strictObject({
      log: z.string().optional(),
      tcp: z.number().int().min(1).max(65535).optional(),
      udp: z.number().int().min(1).max(65535).optional(),
      http: z.string().optional(),
      timeout: duration.prefault('30s'),
    })
    .optional(),
});

const soakSchema = z.strictObject({
  checkpoints: z.array(duration).min(1),
  regression_tolerance: z.number().min(0).max(100).default(0),
});

const reportSchema = z
  .strictObject({
    pr_comment: z.boolean().default(true),
    journal: z.union([z.string().min(1), z.literal(false)], { error: 'expected a journal file path (e.g. docs/JOURNAL.md) or false' }).default(false),
    artifacts: z.boolean().default(true),
  })
  .default({ pr_comment: true, journal: false, artifacts: true });

/** Options of the reference agent when it is the subject (build.kind: agent). */
const agentSchema = z
  .strictObject({
    port: z.number().int().min(1).max(65535).default(9000),
    /** false: the bootstrap refuses to relay, so only direct and punched paths can succeed */
    relay: z.boolean().default(true),
  })
  .default({ port: 9000, relay: true });

export const configSchema = z.strictObject({
  project: z.string().min(1).optional(),
  build: buildSchema,
  fleet: fleetSchema,
  service: serviceSchema.optional(),
  /** how the suites reach the program under test; default: the reference agent (build.kind agent) */
  subject: subjectSchema.optional(),
  agent: agentSchema,
  tests: testsSchema,
  soak: soakSchema.optional(),
  metrics: metricsSchema.optional(),
  regression_tolerance: z.number().min(0).max(100).default(0),
  report: reportSchema,
});

export type Config = z.output<typeof configSchema>;
export type ConfigNode = Config['fleet']['nodes'][number];
export type PairSuiteConfig = z.output<typeof pairSuiteSchema>;
export type BuildConfig = Config['build'];
