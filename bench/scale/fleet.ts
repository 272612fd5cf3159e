// The scale benchmark's config: N lab nodes, 1 bootstrap and the rest round-robin over the
// five NAT kinds. Pure.
const KINDS = ['none', 'full-cone', 'address-restricted', 'port-restricted', 'symmetric'] as const;

export function scaleConfigYaml(nodes: number, trials: number): string {
  if (!Number.isInteger(nodes) || nodes < 2) throw new Error(`nodes must be an integer >= 2, got ${nodes}`);
  const lines = [`project: scale-${nodes}`, 'build: { kind: agent }', 'fleet:', '  provider: local', '  nodes:', '    - { name: boot, role: bootstrap }'];
  for (let i = 1; i < nodes; i++) lines.push(`    - { name: n${i}, nat: ${KINDS[(i - 1) % KINDS.length]} }`);
  lines.push('tests:', `  connectivity: { trials: ${trials}, min_attempts: ${trials}, criteria: { direct: 99, nat_traversed: 85, relay: 100 } }`, 'report: { pr_comment: false, journal: false, artifacts: false }', '');
  return lines.join('\n');
}
