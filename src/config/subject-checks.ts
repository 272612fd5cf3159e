// Whether the configured subject can serve the suites the config asks for, and the subject's
// templates' placeholders (docs/architecture.md, "Subject drivers"). Runs at load time, so a
// config that cannot work is refused before anything is built.
import type { Config } from './schema.js';
import { checkPlaceholders } from './placeholders.js';
import { TEMPLATE_PLACEHOLDERS, type DriverName } from './subject.js';
import { PAIR_SUITES } from './model.js';

type Push = (path: (string | number)[], message: string) => void;

/** The driver in force: the configured one, else the reference agent when it is what is built. */
export function driverOf(config: Pick<Config, 'subject' | 'build'>): DriverName | undefined {
  return config.subject?.driver ?? (config.build.kind === 'agent' ? 'agent' : undefined);
}

/** Suites a full run plans: the configured ones, or connectivity when none is. */
export function impliedSuites(config: Config): string[] {
  const configured = [...PAIR_SUITES.filter((s) => config.tests[s]), ...(['throughput', 'gossip'] as const).filter((s) => config.tests[s])];
  return configured.length || Object.keys(config.tests.scenarios).length ? configured : ['connectivity'];
}

/** Why `driver` cannot serve `suite` under this config, or undefined when it can. */
export function cannotServe(config: Config, suite: string): string | undefined {
  const driver = driverOf(config);
  const s = config.subject;
  if (driver === 'agent') return undefined;
  if (driver === undefined) {
    return `suite ${suite}: build.kind ${config.build.kind} is your own program; say how the suites reach it with subject: { driver: command, connect: { run: "..." } } or driver: events (README, "Testing your own program")`;
  }
  if ((PAIR_SUITES as readonly string[]).includes(suite)) {
    if (driver === 'command' && !s?.connect) return `suite ${suite} needs subject.connect.run (the attempt command run on the initiator for each pair)`;
    if (driver === 'events' && !s?.events) return `suite ${suite} needs subject.events.run (the command that prints result events on every node each round)`;
    return undefined;
  }
  if (suite === 'throughput' && !s?.throughput) return 'suite throughput needs subject.throughput.run (and mbps, a pattern for the Mbit/s it prints)';
  if (suite === 'gossip') {
    if (!s?.gossip) return 'suite gossip needs subject.gossip.publish and subject.gossip.received';
    if (!config.service) return 'suite gossip counts subject.gossip.received in each node\'s service log: it needs a service (service.command)';
  }
  return undefined;
}

export function checkSubject(config: Config, names: readonly string[], push: Push): void {
  const s = config.subject;
  const driver = driverOf(config);
  if (s) {
    if (s.driver === 'agent' && config.build.kind !== 'agent') push(['subject', 'driver'], `driver agent runs the reference agent's CLI, but build.kind is ${config.build.kind}; use driver: command or events for your own program`);
    if (s.driver === 'agent') {
      for (const key of ['connect', 'events', 'throughput', 'gossip'] as const) if (s[key]) push(['subject', key], `subject.${key} is for driver command or events; the agent driver uses the agent's own CLI`);
    }
    if (s.driver === 'command' && s.events) push(['subject', 'events'], 'subject.events is for driver events; driver command uses subject.connect');
    if (s.driver === 'events' && s.connect) push(['subject', 'connect'], 'subject.connect is for driver command; driver events uses subject.events.run');
    const templates: [string[], string | undefined, readonly string[]][] = [
      [['subject', 'connect', 'run'], s.connect?.run, TEMPLATE_PLACEHOLDERS.connect],
      [['subject', 'events', 'run'], s.events?.run, TEMPLATE_PLACEHOLDERS.events],
      [['subject', 'throughput', 'run'], s.throughput?.run, TEMPLATE_PLACEHOLDERS.throughput],
      [['subject', 'gossip', 'publish'], s.gossip?.publish, TEMPLATE_PLACEHOLDERS.publish],
      [['subject', 'gossip', 'received'], s.gossip?.received, TEMPLATE_PLACEHOLDERS.received],
    ];
    for (const [path, text, extra] of templates) if (text) for (const problem of checkPlaceholders(text, names, [], extra)) push(path, problem);
  }
  for (const suite of impliedSuites(config)) {
    const why = cannotServe(config, suite);
    if (why) push(config.tests[suite as 'connectivity'] ? ['tests', suite] : [driver ? 'subject' : 'build', driver ? 'driver' : 'kind'], why);
  }
}
