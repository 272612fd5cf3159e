// The plan as text, printed before anything runs (and before anything costs money).
import { TCG_COST } from '../vm/accel.js';
import type { Plan } from './types.js';

const PROVIDER_WORDS = { local: 'local lab (network namespaces on this machine)', digitalocean: 'DigitalOcean droplets', inventory: 'existing hosts (inventory)' } as const;

export function renderPlanSummary(plan: Plan): string {
  const { choices } = plan;
  const lines: string[] = [];
  lines.push(`Test plan: ${choices.project}`);
  lines.push(`  focus     ${choices.focus}`);
  lines.push(`  criteria  ${choices.criteria}: ${describeThresholds(plan)}`);
  lines.push(`  proof     ${choices.proof}`);
  lines.push(`  binary    ${plan.binary.description}; targets ${plan.binary.targets.join(', ')}`);
  lines.push(`  fleet     ${PROVIDER_WORDS[plan.provider]}, ${plan.nodes.length} nodes`);
  const byRole = new Map<string, string[]>();
  for (const n of plan.nodes) {
    const label = `${n.name} (${n.nat === 'none' ? 'public' : n.nat}${n.region ? `, ${n.region}` : ''}${n.impair ? ', impaired' : ''}${n.hairpin === false ? ', no hairpin' : ''}${n.behind ? `, behind a ${n.behind} NAT` : ''}${n.machine === 'vm' ? ', vm' : ''})`;
    byRole.set(n.role, [...(byRole.get(n.role) ?? []), label]);
  }
  for (const [role, labels] of byRole) lines.push(`    ${role.padEnd(10)}${labels.join(', ')}`);
  const vms = plan.nodes.filter((n) => n.machine === 'vm').length;
  const accel = {
    auto: `hardware KVM where /dev/kvm runs a normal guest, else ${TCG_COST} (the lab log says which)`,
    kvm: 'hardware KVM required (fleet.vm.accel: kvm): the run stops before provisioning on a machine without it',
    tcg: `${TCG_COST} (fleet.vm.accel: tcg)`,
  }[plan.vmAccel ?? 'auto'];
  if (vms > 0) lines.push(`    vms       ${vms} VM machine(s): ${accel}`);
  const net = plan.internet;
  if (net) {
    const jitter = (ms: number | undefined) => (ms ? ` +- ${ms} ms` : '');
    const regions = net.regions.map((r) => `${r.between.join('-')} ${r.rttMs} ms${jitter(r.jitterMs)}`).join(', ');
    lines.push(`    internet  ${net.hops} hops, round trip ${net.rttMs || net.jitterMs ? `${net.rttMs} ms${jitter(net.jitterMs)}` : 'not delayed'}${regions ? ` (${regions})` : ''}`);
  }
  lines.push('  suites');
  for (const s of plan.suites) {
    if (s.pairs.length) {
      const counts = { direct: 0, hole_punch: 0, relay: 0 };
      for (const p of s.pairs) counts[p.expectedPath]++;
      lines.push(`    ${s.name.padEnd(14)}${s.pairs.length} ordered pairs x ${s.trials} trials = ${s.pairs.length * s.trials} attempts (expected: ${counts.direct} direct, ${counts.hole_punch} hole punch, ${counts.relay} relay)`);
      if (s.rotation) lines.push(`    ${''.padEnd(14)}rotated: ${s.rotation.roundsPerTrial} rounds per trial of at most ${s.rotation.pairsPerRound} pairs each (every pair still ${s.trials} ${s.trials === 1 ? 'time' : 'times'})`);
    } else lines.push(`    ${s.name}`);
  }
  if (plan.soak) lines.push(`  soak      the tests again at ${plan.soak.checkpoints.map((c) => c.name).join(', ')} after the first, on the same fleet (tolerance ${plan.soak.regressionTolerance} points)`);
  const cost = plan.provider === 'local' ? 'no cost (local lab)' : plan.estimate.costUsd !== undefined ? `about $${plan.estimate.costUsd.toFixed(2)}` : 'cost unknown for this size';
  lines.push(`  estimate  ~${plan.estimate.nodeMinutes} node-minutes, ${cost}`);
  return lines.join('\n');
}

function describeThresholds(plan: Plan): string {
  const entries = Object.entries(plan.thresholds);
  const parts = entries.map(([k, v]) => `${k} >= ${v}%`);
  if (plan.choices.criteria === 'improvement') parts.push(`no category more than ${plan.regressionTolerance} points below the baseline`);
  if (plan.throughput?.minMbps !== undefined) parts.push(`throughput >= ${plan.throughput.minMbps} Mbit/s`);
  if (plan.gossip?.minDelivery !== undefined) parts.push(`gossip delivery >= ${plan.gossip.minDelivery}%`);
  return parts.length ? parts.join(', ') : 'none set (every category reported, none judged)';
}
