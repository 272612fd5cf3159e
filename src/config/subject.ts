// The `subject:` section: how the suites reach the user's program (docs/architecture.md,
// "Subject drivers"). Strict objects like the rest of the schema; placeholders are checked in
// semantics.ts once the node names are known.
import { z } from 'zod';
import { duration } from './fields.js';

export const DRIVERS = ['agent', 'command', 'events'] as const;
export type DriverName = (typeof DRIVERS)[number];

const regex = z.string().min(1).refine(
  (text) => {
    try {
      new RegExp(text);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

/** One connection attempt, run on the initiator for each planned pair and round. */
const connectSchema = z.strictObject({
  run: z.string().min(1),
  /** success = exit code (default 0) and, when given, patterns in the output */
  success: z.strictObject({ exit: z.number().int().min(0).max(255).default(0), stdout: regex.optional(), stderr: regex.optional() }).prefault({}),
  /** the attempt must finish within this; default: the suite's timeout plus 2 s */
  within: duration.optional(),
});

const throughputSchema = z.strictObject({
  /** run on the sender, once per planned pair */
  run: z.string().min(1),
  /** regular expression whose first group is Mbit/s; without it, throughput events on stdout count */
  mbps: regex.optional(),
});

const gossipSchema = z.strictObject({
  /** run on the origin, once per message */
  publish: z.string().min(1),
  /** counted in every node's service log after the publish; {msg} and {origin} are filled in */
  received: z.string().min(1),
});

/** events driver: a command on every node per round that prints result events itself. */
const eventsSchema = z.strictObject({
  run: z.string().min(1),
});

export const subjectSchema = z.strictObject({
  driver: z.enum(DRIVERS),
  connect: connectSchema.optional(),
  events: eventsSchema.optional(),
  throughput: throughputSchema.optional(),
  gossip: gossipSchema.optional(),
  /** malformed output lines tolerated before the verdict is 'error' */
  malformed_lines: z.number().int().min(0).default(0),
});

export type SubjectConfig = z.output<typeof subjectSchema>;

/** Placeholders each template may use beyond the general ones ({bin}, {node}, {ip}, ...). */
export const TEMPLATE_PLACEHOLDERS = {
  connect: ['peer.name', 'peer.ip', 'peer.private_ip', 'round', 'timeout_ms', 'suite'],
  events: ['round', 'timeout_ms', 'suite', 'peer_names'],
  throughput: ['peer.name', 'peer.ip', 'peer.private_ip', 'seconds'],
  publish: ['msg', 'origin'],
  received: ['msg', 'origin'],
} as const;
