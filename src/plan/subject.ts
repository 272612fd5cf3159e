// The subject, the service and the throughput pairs as the plan states them: every default
// resolved once here, so later stages read the Plan and never the Config. Pure.
import type { Config } from '../config/schema.js';
import type { PlannedNode, PlannedService, PlannedSubject } from './types.js';
import { driverOf } from '../config/subject-checks.js';

export function plannedSubject(config: Config): PlannedSubject {
  const driver = driverOf(config);
  const s = config.subject;
  if (driver === 'agent' || driver === undefined || !s) return { driver: 'agent', port: config.agent.port, relay: config.agent.relay };
  const c = s.connect;
  return {
    driver: s.driver === 'events' ? 'events' : 'command',
    ...(c && { connect: { run: c.run, exit: c.success.exit, ...(c.success.stdout !== undefined && { stdout: c.success.stdout }), ...(c.success.stderr !== undefined && { stderr: c.success.stderr }), ...(c.within !== undefined && { withinMs: c.within }) } }),
    ...(s.events && { events: { run: s.events.run } }),
    ...(s.throughput && { throughput: { run: s.throughput.run, ...(s.throughput.mbps !== undefined && { mbps: s.throughput.mbps }) } }),
    ...(s.gossip && { gossip: { publish: s.gossip.publish, received: s.gossip.received } }),
  };
}

export function plannedService(service: NonNullable<Config['service']>): PlannedService {
  const r = service.ready;
  return {
    command: service.command,
    ...(r && { ready: { ...(r.log && { log: r.log }), ...(r.tcp && { tcp: r.tcp }), ...(r.udp && { udp: r.udp }), ...(r.http && { http: r.http }), timeoutMs: r.timeout } }),
  };
}

/** Which pairs to measure: the configured list, every pair to a public node, or a sample. */
export function throughputPairs(nodes: readonly Pick<PlannedNode, 'name' | 'nat'>[], pairs: NonNullable<Config['tests']['throughput']>['pairs']): [string, string][] {
  if (Array.isArray(pairs)) return pairs.map(([a, b]) => [a, b]);
  const publicNodes = nodes.filter((n) => n.nat === 'none');
  if (pairs === 'all') return nodes.flatMap((a) => publicNodes.filter((b) => b.name !== a.name).map((b): [string, string] => [a.name, b.name]));
  // sample: every node sends once, to the next public node in the list that isn't itself
  return nodes.flatMap((a, i) => {
    const targets = publicNodes.filter((b) => b.name !== a.name);
    const b = targets[i % Math.max(targets.length, 1)];
    return b ? [[a.name, b.name] as [string, string]] : [];
  });
}
