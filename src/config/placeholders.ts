// Placeholders in commands: {bin}, {node}, {ip}, {private_ip}, {workdir}, {run_id}, {peers},
// {node:NAME.ip}, {node:NAME.private_ip}, {var:NAME}. Checked at load time (an unknown node is
// an error) and expanded per node at run time. `${VAR}` and `{a,b}` are shell, not ours.

export const SIMPLE_PLACEHOLDERS = ['bin', 'node', 'ip', 'private_ip', 'workdir', 'run_id', 'peers'] as const;
const NODE_FIELDS = ['ip', 'private_ip', 'name'] as const;

const PATTERN = /(?<!\$)\{([a-z_]+(?:\.[a-z_]+)?)(?::([^}\s]*))?\}/g;

export interface PlaceholderRef {
  text: string;
  kind: string;
  arg?: string;
}

export function findPlaceholders(command: string): PlaceholderRef[] {
  return [...command.matchAll(PATTERN)].map((m) => ({ text: m[0], kind: m[1] as string, arg: m[2] }));
}

/**
 * Problems with the placeholders of one command; `vars` are names captured by earlier steps,
 * `extra` the placeholders this particular template may use (e.g. {peer.ip} in subject.connect.run).
 */
export function checkPlaceholders(command: string, nodeNames: readonly string[], vars: readonly string[] = [], extra: readonly string[] = []): string[] {
  const problems: string[] = [];
  const simple = [...SIMPLE_PLACEHOLDERS, ...extra];
  for (const ref of findPlaceholders(command)) {
    if (ref.arg === undefined) {
      if (!simple.includes(ref.kind)) {
        problems.push(`unknown placeholder ${ref.text}; allowed: ${simple.map((p) => `{${p}}`).join(', ')}, {node:NAME.ip}, {node:NAME.private_ip}, {var:NAME}`);
      }
    } else if (ref.kind === 'node') {
      const [name, field] = ref.arg.split('.');
      if (!name || !nodeNames.includes(name)) problems.push(`${ref.text} names node '${name ?? ''}', which is not in fleet.nodes (${nodeNames.join(', ')})`);
      else if (!field || !(NODE_FIELDS as readonly string[]).includes(field)) problems.push(`${ref.text}: use {node:${name}.ip}, {node:${name}.private_ip} or {node:${name}.name}`);
    } else if (ref.kind === 'var') {
      if (!vars.includes(ref.arg)) problems.push(`${ref.text} uses variable '${ref.arg}', which no earlier capture step defines${vars.length ? ` (defined: ${vars.join(', ')})` : ''}`);
    } else {
      problems.push(`unknown placeholder ${ref.text}`);
    }
  }
  return problems;
}

export interface NodeFacts {
  name: string;
  ip: string;
  private_ip: string;
}

export interface ExpandContext {
  self: NodeFacts;
  nodes: readonly NodeFacts[];
  bin?: string;
  workdir?: string;
  runId?: string;
  vars?: Record<string, string>;
  /** template-specific values: "peer.ip", "round", "msg", ... */
  extra?: Record<string, string>;
}

export function expandPlaceholders(command: string, ctx: ExpandContext): string {
  return command.replace(PATTERN, (text, kind: string, arg: string | undefined) => {
    if (arg === undefined) {
      const given = ctx.extra?.[kind];
      if (given !== undefined) return given;
      switch (kind) {
        case 'bin': return ctx.bin ?? text;
        case 'node': return ctx.self.name;
        case 'ip': return ctx.self.ip;
        case 'private_ip': return ctx.self.private_ip;
        case 'workdir': return ctx.workdir ?? text;
        case 'run_id': return ctx.runId ?? text;
        case 'peers': return ctx.nodes.filter((n) => n.name !== ctx.self.name).map((n) => n.ip).join(',');
      }
      return text;
    }
    if (kind === 'node') {
      const [name, field] = arg.split('.');
      const node = ctx.nodes.find((n) => n.name === name);
      if (!node) throw new Error(`${text}: no node named ${name}`);
      return field === 'name' ? node.name : field === 'private_ip' ? node.private_ip : node.ip;
    }
    if (kind === 'var') {
      const value = ctx.vars?.[arg];
      if (value === undefined) throw new Error(`${text}: variable '${arg}' was not captured`);
      return value;
    }
    return text;
  });
}
