// Checks that need the whole config at once (the schema sees one value at a time): unique
// names, references to nodes, placeholders, provider-specific fields, false-success guards.
import type { Config } from './schema.js';
import { checkPlaceholders } from './placeholders.js';
import { didYouMean } from './errors.js';
import { ROLES } from './model.js';
import { checkSubject, driverOf } from './subject-checks.js';

export interface SemanticIssue {
  path: (string | number)[];
  message: string;
}

export function checkSemantics(config: Config): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const nodes = config.fleet.nodes;
  const names = [...new Set(nodes.map((n) => n.name))];
  const push = (path: (string | number)[], message: string) => issues.push({ path, message });

  nodes.forEach((node, i) => {
    const first = nodes.findIndex((n) => n.name === node.name);
    if (first !== i) push(['fleet', 'nodes', i, 'name'], `duplicate node name '${node.name}' (also fleet.nodes[${first}])`);
  });

  const checkTarget = (target: string, path: (string | number)[]) => {
    if (target === 'all') return;
    if (target.startsWith('role:')) {
      const role = target.slice(5);
      if (!(ROLES as readonly string[]).includes(role)) push(path, `unknown role '${role}' in '${target}'; allowed roles: ${ROLES.join(', ')}`);
      else if (!nodes.some((n) => n.role === role)) push(path, `no node has role '${role}'`);
      return;
    }
    if (!names.includes(target)) push(path, `unknown node '${target}'${didYouMean(target, names)}; nodes: ${names.join(', ')}, or role:<role>, or all`);
  };

  // Provider-specific fields.
  const provider = config.fleet.provider;
  if (config.fleet.digitalocean && provider !== 'digitalocean') push(['fleet', 'digitalocean'], `digitalocean options are set but provider is '${provider}'`);
  const internet = config.fleet.internet;
  if (internet && provider !== 'local') push(['fleet', 'internet'], `internet (hops, rtt) shapes the local lab only; provider '${provider}' runs on the real internet`);
  internet?.regions.forEach((r, i) => {
    for (const region of r.between) {
      if (!nodes.some((n) => n.region === region)) push(['fleet', 'internet', 'regions', i, 'between'], `no node has region '${region}'`);
    }
  });
  nodes.forEach((node, i) => {
    // On a real machine the impairment is applied by the NAT recipe, between the machine and the
    // node's namespace behind it; a public droplet or host has no such link (docs/architecture.md, "Providers").
    if (provider !== 'local' && node.impair !== undefined && node.nat === 'none') {
      push(['fleet', 'nodes', i, 'impair'], `node '${node.name}': impair on a public ${provider === 'digitalocean' ? 'droplet' : 'inventory host'} is not implemented (on ${provider} impairments are applied behind a NAT); give the node a nat: type or drop impair`);
    }
    if (node.size !== undefined && provider !== 'digitalocean') push(['fleet', 'nodes', i, 'size'], `'size' is only used with provider digitalocean (provider is '${provider}')`);
  });
  if (config.fleet.vm && !nodes.some((n) => n.machine === 'vm')) push(['fleet', 'vm'], 'vm options are set but no node has machine: vm');
  nodes.forEach((node, i) => {
    if (node.machine !== 'vm') return;
    if (provider !== 'local') push(['fleet', 'nodes', i, 'machine'], `node '${node.name}': machine vm runs on the local lab only (provider is '${provider}')`);
    else if (node.arch !== 'x86_64') push(['fleet', 'nodes', i, 'machine'], `node '${node.name}': VM machines are x86_64 (the base image is Debian amd64), arch is '${node.arch}'`);
  });
  nodes.forEach((node, i) => {
    if (node.hairpin === undefined) return;
    if (node.nat === 'none') push(['fleet', 'nodes', i, 'hairpin'], `node '${node.name}': hairpin applies to a node behind a NAT (nat is none)`);
    else if (node.hairpin && (node.nat.startsWith('symmetric') || node.nat === 'port-restricted-remapped')) {
      push(['fleet', 'nodes', i, 'hairpin'], `node '${node.name}': a ${node.nat} NAT has no hairpinning`);
    }
  });
  nodes.forEach((node, i) => {
    if (node.behind === undefined) return;
    const at = ['fleet', 'nodes', i, 'behind'];
    if (provider !== 'local') push(at, `node '${node.name}': behind (a double NAT) is built by the local lab only (provider is '${provider}')`);
    else if (node.nat === 'none') push(at, `node '${node.name}': behind needs the node's own NAT (nat is none): a public node behind one NAT is nat: ${node.behind}`);
    else if (node.hairpin !== undefined) push(['fleet', 'nodes', i, 'hairpin'], `node '${node.name}': hairpin is not available behind two NATs (each router keeps its type's default)`);
    else if (node.machine === 'vm') push(['fleet', 'nodes', i, 'machine'], `node '${node.name}': a VM machine behind two NATs is not built yet (use behind with a namespace machine, or one NAT for the VM)`);
  });
  nodes.forEach((node, i) => {
    if (provider === 'inventory') {
      if (!node.host) push(['fleet', 'nodes', i], `node '${node.name}': provider inventory needs host (and host_key)`);
      if (!node.host_key) push(['fleet', 'nodes', i], `node '${node.name}': provider inventory needs host_key, the host's public key; host keys are always verified${node.host ? ` (get it with: ssh-keyscan -t ed25519${node.port && node.port !== 22 ? ` -p ${node.port}` : ''} ${node.host})` : ''}`);
    } else {
      for (const key of ['host', 'port', 'user', 'host_key'] as const) {
        if (node[key] !== undefined) push(['fleet', 'nodes', i, key], `'${key}' is only used with provider inventory (provider is '${provider}')`);
      }
    }
  });

  // Two inventory entries that are the same machine would make every pair between them a self-test.
  if (provider === 'inventory') {
    const seen = new Map<string, string>();
    nodes.forEach((node, i) => {
      const key = `${node.host}:${node.port ?? 22}`;
      const other = seen.get(key);
      if (node.host && other) push(['fleet', 'nodes', i, 'host'], `node '${node.name}' is the same machine as '${other}' (${key}): a pair test between them would only talk to itself`);
      else seen.set(key, node.name);
    });
  }

  checkSubject(config, names, push);
  checkBuildKeys(config.build, push);
  config.soak?.checkpoints.forEach((ms, i, all) => {
    if (i > 0 && ms <= (all[i - 1] as number)) push(['soak', 'checkpoints', i], 'soak checkpoints must be in increasing order (each is a time after the first test ended)');
  });

  const pairSuites = (['connectivity', 'nat-traversal', 'relay', 'gossip'] as const).filter((s) => config.tests[s]);
  if (pairSuites.length > 0 && driverOf(config) === 'agent' && !nodes.some((n) => n.role === 'bootstrap')) {
    push(['fleet', 'nodes'], `tests ${pairSuites.join(', ')} need a node with role: bootstrap (it runs the agent's rendezvous and relay)`);
  }
  if (nodes.some((n) => n.role === 'bootstrap' && n.nat !== 'none')) {
    nodes.forEach((n, i) => {
      if (n.role === 'bootstrap' && n.nat !== 'none') push(['fleet', 'nodes', i, 'nat'], `bootstrap node '${n.name}' must be public (nat: none): every peer has to reach it`);
    });
  }

  if (config.service) {
    for (const problem of checkPlaceholders(config.service.command, names)) push(['service', 'command'], problem);
  }

  const throughput = config.tests.throughput;
  if (throughput && Array.isArray(throughput.pairs)) {
    throughput.pairs.forEach(([from, to], i) => {
      checkTarget(from, ['tests', 'throughput', 'pairs', i, 0]);
      checkTarget(to, ['tests', 'throughput', 'pairs', i, 1]);
      if (from === to) push(['tests', 'throughput', 'pairs', i], `pair ${from} -> ${to} has the same node at both ends: that would only measure a node talking to itself`);
    });
  }
  const gossip = config.tests.gossip;
  if (gossip && Array.isArray(gossip.origins)) gossip.origins.forEach((o, i) => checkTarget(o, ['tests', 'gossip', 'origins', i]));

  const metrics = config.metrics;
  if (metrics && Array.isArray(metrics.nodes)) metrics.nodes.forEach((n, i) => checkTarget(n, ['metrics', 'nodes', i]));

  for (const [scenarioName, scenario] of Object.entries(config.tests.scenarios)) {
    const vars: string[] = [];
    const marks: string[] = [];
    const processes = config.service ? ['service'] : [];
    scenario.steps.forEach((step, i) => {
      const path = ['tests', 'scenarios', scenarioName, 'steps', i, step.kind];
      const spec = step.spec as Record<string, unknown>;
      if (typeof spec.on === 'string') checkTarget(spec.on, [...path, 'on']);
      for (const field of ['cmd', 'url'] as const) {
        if (typeof spec[field] === 'string') for (const problem of checkPlaceholders(spec[field] as string, names, vars)) push([...path, field], problem);
      }
      if (step.kind === 'partition') step.spec.groups.forEach((group, g) => group.forEach((n, j) => checkTarget(n, [...path, 'groups', g, j])));
      if (step.kind === 'run' && step.spec.peer !== undefined) {
        if (!names.includes(step.spec.peer)) push([...path, 'peer'], `peer '${step.spec.peer}' is not a node${didYouMean(step.spec.peer, names)}; a peer is the one node the command is meant to reach`);
        else if (step.spec.peer === step.spec.on) push([...path, 'peer'], `peer '${step.spec.peer}' is the node the command runs on: a command meant to reach another machine would only reach itself`);
      }
      if (step.kind === 'mark') marks.push(step.spec);
      if (step.kind === 'background') processes.push(step.spec.name);
      if (step.kind === 'kill' || step.kind === 'restart' || step.kind === 'log_count') {
        if (!processes.includes(step.spec.name)) push([...path, 'name'], `'${step.spec.name}' is neither the service nor a background process started by an earlier step (known: ${processes.join(', ')})`);
      }
      if (step.kind === 'log_count') {
        for (const key of ['since', 'until'] as const) {
          const at = step.spec[key];
          if (at !== undefined && !marks.includes(at)) push([...path, key], `mark '${at}' is not set by an earlier mark step${marks.length ? ` (marks: ${marks.join(', ')})` : ''}`);
        }
      }
      if (step.kind === 'capture') {
        try {
          new RegExp(step.spec.regex);
        } catch (err) {
          push([...path, 'regex'], (err as Error).message.replace(/^Invalid regular expression: /, 'invalid regular expression '));
        }
        vars.push(step.spec.as);
      }
    });
  }
  return issues;
}

/** Build keys that a kind does not use are refused, never accepted and ignored. */
function checkBuildKeys(b: Config['build'], push: (path: (string | number)[], message: string) => void): void {
  if (b.zig) push(['build', 'zig'], 'build.zig.version is not honoured by this version: zig comes from PATH or the pinned npm package (0.11.0, fetched on first use); remove it');
  if (b.flags.length && b.kind !== 'c' && b.kind !== 'zig') push(['build', 'flags'], `build.flags is passed to kind c (compiler flags) and zig (zig build arguments) only; kind ${b.kind} does not use it`);
  if (b.kind === 'go' && b.source !== undefined) push(['build', 'source'], 'kind go builds build.package (e.g. ./cmd/node, relative to the config); build.source is for c, cargo and zig');
  if (b.kind === 'agent' && b.targets) push(['build', 'targets'], 'kind agent builds one target per node arch (x86_64-linux-musl, aarch64-linux-musl); remove build.targets or set fleet.nodes[].arch');
  if (b.kind === 'agent') for (const key of ['package', 'binary', 'source'] as const) if (b[key] !== undefined) push(['build', key], `kind agent builds the reference agent; build.${key} is for your own program's build kinds`);
}
