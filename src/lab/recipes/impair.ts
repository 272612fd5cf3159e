// Impairments of a node's link: rate with tbf (both directions), loss with nft numgen (both
// directions), delay/jitter with netem (uplink) where the kernel has sch_netem. Where it does
// not, delay and jitter go through the lab's packet delayer instead (topology.ts
// linkImpairment); a delay reaching this recipe without netem is an error, never a silent
// no-op. Pure.
import type { Impairment } from '../../config/model.js';
import { inNamespace, type Step } from './steps.js';

/** One end of a link: the device whose EGRESS shapes traffic in that direction. */
export interface LinkEnd {
  ns?: string;
  dev: string;
}

export interface ImpairedLink {
  /** Egress towards the internet (the node's own interface). */
  uplink: LinkEnd;
  /** Egress towards the node (the far end of its link). */
  downlink: LinkEnd;
  /** Namespace and device where loss is applied (the node's side). */
  loss: LinkEnd;
  /** Keep the controller's SSH to this machine lossless (public nodes run their sshd there). */
  exemptSshFrom?: string;
}

export const NETEM_MISSING = 'delay/jitter not supported on this kernel (no sch_netem)';

export class UnsupportedImpairmentError extends Error {
  override name = 'UnsupportedImpairmentError';
}

export const IMPAIR_TABLE = 'vtimpair';

export function hasImpairment(impair: Impairment | undefined): boolean {
  if (!impair) return false;
  return Boolean(impair.delayMs || impair.jitterMs || impair.lossPercent || impair.rateKbit);
}

export function needsNetem(impair: Impairment | undefined): boolean {
  return Boolean(impair && (impair.delayMs || impair.jitterMs));
}

/** tbf parameters: a burst of ~20 ms at the rate (never below 2 full frames) and 100 ms of queue. */
export function tbfArgs(rateKbit: number): string[] {
  if (!(rateKbit > 0)) throw new Error(`rate must be positive, got ${rateKbit} kbit/s`);
  const burstBytes = Math.max(3200, Math.ceil((rateKbit * 1000) / 8 / 50));
  return ['tbf', 'rate', `${rateKbit}kbit`, 'burst', String(burstBytes), 'latency', '100ms'];
}

/**
 * The match before `drop`: `numgen random mod 100 lt N` for whole percents, basis points for
 * fractions, and nothing at 100% (numgen's value range stops at mod-1: drop every packet).
 */
export function lossMatch(percent: number): string {
  if (!(percent > 0 && percent <= 100)) throw new Error(`loss must be in (0, 100] percent, got ${percent}`);
  if (percent === 100) return '';
  return Number.isInteger(percent)
    ? `numgen random mod 100 lt ${percent}`
    : `numgen random mod 10000 lt ${Math.round(percent * 100)}`;
}

/** nft table dropping `percent` of packets in each direction on `dev`. */
export function renderLossRuleset(percent: number, dev: string, exemptSshFrom?: string): string {
  const iface = JSON.stringify(dev);
  const match = lossMatch(percent);
  const inbound = exemptSshFrom ? [`iifname ${iface} ip saddr ${exemptSshFrom} tcp dport 22 accept`] : [];
  const outbound = exemptSshFrom ? [`oifname ${iface} ip daddr ${exemptSshFrom} tcp sport 22 accept`] : [];
  return [
    `table ip ${IMPAIR_TABLE} {`,
    // raw priority: dropped packets never create conntrack state
    '  chain loss_ingress {',
    '    type filter hook prerouting priority raw; policy accept;',
    ...inbound.map((r) => `    ${r}`),
    `    iifname ${iface} ${match ? `${match} ` : ''}drop`,
    '  }',
    '  chain loss_egress {',
    '    type filter hook postrouting priority filter; policy accept;',
    ...outbound.map((r) => `    ${r}`),
    `    oifname ${iface} ${match ? `${match} ` : ''}drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

function netemArgs(impair: Impairment): string[] {
  const args = ['netem', 'delay', `${impair.delayMs ?? 0}ms`];
  if (impair.jitterMs) args.push(`${impair.jitterMs}ms`, 'distribution', 'normal');
  if (impair.rateKbit) args.push('rate', `${impair.rateKbit}kbit`);
  return args;
}

/**
 * Steps that impair one link. `netem` says whether the kernel has sch_netem; without it a
 * delay or jitter throws UnsupportedImpairmentError.
 */
export function impairmentSteps(impair: Impairment | undefined, link: ImpairedLink, netem: boolean): Step[] {
  if (!impair || !hasImpairment(impair)) return [];
  const steps: Step[] = [];
  const qdisc = (end: LinkEnd, args: string[]) => inNamespace(end.ns, ['tc', 'qdisc', 'replace', 'dev', end.dev, 'root', ...args]);
  if (needsNetem(impair)) {
    if (!netem) throw new UnsupportedImpairmentError(NETEM_MISSING);
    steps.push(qdisc(link.uplink, netemArgs(impair)));
  } else if (impair.rateKbit) {
    steps.push(qdisc(link.uplink, tbfArgs(impair.rateKbit)));
  }
  if (impair.rateKbit) steps.push(qdisc(link.downlink, tbfArgs(impair.rateKbit)));
  if (impair.lossPercent) {
    steps.push(inNamespace(link.loss.ns, ['nft', '-f', '-'], renderLossRuleset(impair.lossPercent, link.loss.dev, link.exemptSshFrom)));
  }
  return steps;
}
