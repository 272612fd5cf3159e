// Checks that need the whole config at once (the schema sees one value at a time): unique
// names, references to nodes, placeholders, provider-specific fields, false-success guards.
import type { Config } from './schema.js';
import { checkPlaceholders } from './placeholders.js';
import { didYouMean } from './errors.js';
import { ROLES } from './model.js';

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
  nodes.forEach((node, i) => {
    if (node.size !== undefined && provider !== 'digitalocean') push(['fleet', 'nodes', i, 'size'], `'size' is only used with provider digitalocean (provider is '${provider}')`);
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

  const pairSuites = (['connectivity', 'nat-traversal', 'relay', 'gossip'] as const).filter((s) => config.tests[s]);
  if (pairSuites.length > 0 && config.build.kind === 'agent' && !nodes.some((n) => n.role === 'bootstrap')) {
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

  for (const [scenarioName, scenario] of Object.entries(config.tests.scenarios)) {
    const vars: string[] = [];
    scenario.steps.forEach((step, i) => {
      const path = ['tests', 'scenarios', scenarioName, 'steps', i, step.kind];
      const spec = step.spec as Record<string, unknown>;
      if (typeof spec.on === 'string') checkTarget(spec.on, [...path, 'on']);
      for (const field of ['cmd', 'url'] as const) {
        if (typeof spec[field] === 'string') for (const problem of checkPlaceholders(spec[field] as string, names, vars)) push([...path, field], problem);
      }
      if (step.kind === 'partition') step.spec.groups.forEach((group, g) => group.forEach((n, j) => checkTarget(n, [...path, 'groups', g, j])));
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
