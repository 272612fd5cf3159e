// Scenario steps (docs/architecture.md, "Scenarios"): an ordered list of single-key objects such as
// `- run: { on: a, cmd: "...", expect: { exit: 0 } }`. Dispatching on the one key (instead of a
// zod union) keeps errors precise: "unknown step 'rn'" rather than a union's wall of text.
import { z } from 'zod';
import { duration } from './fields.js';

/** A node name, `role:<role>` or `all`. */
const target = z.string().min(1);

const expectSchema = z.strictObject({
  exit: z.number().int().optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
  within: duration.optional(),
});

export const PROTOCOLS = ['udp', 'tcp', 'all'] as const;
export type PartitionProtocol = (typeof PROTOCOLS)[number];

const label = z.string().regex(/^[a-z][a-z0-9_-]{0,30}$/, 'mark labels use lowercase letters, digits, _ and -');

const readySchema = z.strictObject({
  log: z.string().optional(),
  tcp: z.number().int().min(1).max(65535).optional(),
  udp: z.number().int().min(1).max(65535).optional(),
  http: z.string().optional(),
  timeout: duration.prefault('20s'),
});

export const STEP_SCHEMAS = {
  // `peer`: the node the command is meant to reach (self-command guard and path evidence, see
  // docs/architecture.md "Scenarios"); `protocol`: what the command exercises, for the diagnosis.
  run: z.strictObject({
    on: target,
    cmd: z.string().min(1),
    expect: expectSchema.optional(),
    timeout: duration.optional(),
    peer: z.string().min(1).optional(),
    protocol: z.enum(['udp', 'tcp']).optional(),
  }),
  capture: z.strictObject({ on: target, cmd: z.string().min(1), regex: z.string().min(1), as: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'variable names use lowercase letters, digits and _'), timeout: duration.optional() }),
  background: z.strictObject({ on: target, cmd: z.string().min(1), name: z.string().regex(/^[a-z][a-z0-9_-]{0,30}$/, 'background names use lowercase letters, digits, _ and -'), ready: readySchema.optional() }),
  kill: z.strictObject({ on: target, name: z.string().min(1).default('service') }),
  restart: z.strictObject({ on: target, name: z.string().min(1).default('service') }),
  partition: z.strictObject({ groups: z.array(z.array(z.string().min(1)).min(1)).min(2, 'a partition needs at least two groups'), protocol: z.enum(PROTOCOLS).default('all') }),
  heal: z.strictObject({}),
  wait: duration,
  mark: label,
  http: z.strictObject({
    on: target.optional(),
    url: z.string().min(1),
    timeout: duration.optional(),
    expect: z
      .strictObject({
        status: z.number().int().default(200),
        body: z.string().optional(),
        json: z.strictObject({ path: z.string().min(1), equals: z.union([z.string(), z.number(), z.boolean(), z.null()]) }).optional(),
      })
      .default({ status: 200 }),
  }),
  log_count: z.strictObject({
    on: target,
    pattern: z.string().min(1),
    name: z.string().default('service'),
    since: label.optional(),
    until: label.optional(),
    expect: z
      .strictObject({ min: z.number().int().optional(), max: z.number().int().optional(), eq: z.number().int().optional() })
      .refine((e) => e.min !== undefined || e.max !== undefined || e.eq !== undefined, 'log_count.expect needs min, max or eq'),
  }),
} as const;

export type StepKind = keyof typeof STEP_SCHEMAS;
export const STEP_KINDS = Object.keys(STEP_SCHEMAS) as StepKind[];
export type ScenarioStep = { [K in StepKind]: { kind: K; spec: z.output<(typeof STEP_SCHEMAS)[K]> } }[StepKind];

const stepSchema = z.unknown().transform((raw, ctx): ScenarioStep => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    ctx.addIssue({ code: 'custom', message: `a step is a single-key object; allowed keys: ${STEP_KINDS.join(', ')}` });
    return z.NEVER;
  }
  const keys = Object.keys(raw);
  if (keys.length !== 1) {
    ctx.addIssue({ code: 'custom', message: `a step has exactly one key (got ${keys.length}: ${keys.join(', ') || 'none'}); allowed: ${STEP_KINDS.join(', ')}` });
    return z.NEVER;
  }
  const kind = keys[0] as string;
  if (!(kind in STEP_SCHEMAS)) {
    ctx.addIssue({ code: 'custom', message: `unknown step '${kind}'; allowed: ${STEP_KINDS.join(', ')}`, path: [kind], params: { atKey: true } });
    return z.NEVER;
  }
  const parsed = STEP_SCHEMAS[kind as StepKind].safeParse((raw as Record<string, unknown>)[kind]);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [kind, ...issue.path] } as never);
    return z.NEVER;
  }
  return { kind, spec: parsed.data } as ScenarioStep;
});

export const scenarioSchema = z.strictObject({
  description: z.string().optional(),
  steps: z.array(stepSchema).min(1, 'a scenario needs at least one step'),
});
export type Scenario = z.output<typeof scenarioSchema>;
