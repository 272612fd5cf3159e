// The lab's internet with distance (docs/architecture.md, "the lab's internet: hops and
// latency"). Pure: hop count -> nftables ruleset, round trips -> the delayer's arguments.
//
// Hops: the internet router is one real hop (the kernel decrements the TTL when forwarding and
// answers "time exceeded" at 1). For `hops` routers in all, a prerouting rule first takes
// hops-1 more off: a packet that would die on the way gets TTL 1, so it dies at the router with
// the ICMP error a real path would send, and one that survives arrives with TTL - hops.
// nftables cannot compute `ip ttl - n` (only constants can be set), so a verdict map jumps to
// one tiny chain per TTL value.
//
// Latency: packets forwarded between machines wait in an NFQUEUE until the lab's delayer
// (agent/delayer/nfq-delayer.c) lets them go, half the round trip each way, +- half the
// jitter when there is one. The controller's
// own traffic (SSH) is not delayed. The queue rule has no `bypass`: without the delayer the
// packets are dropped, never silently undelayed.
import type { Internet } from '../../config/model.js';
import { inNamespace, type Step } from './steps.js';

export const DEFAULT_HOPS = 12;
export const INTERNET_TABLE = 'vtinet';
export const DELAY_QUEUE = 0;

export function validateInternet(internet: Internet, nodeRegions: (string | undefined)[]): string | undefined {
  if (!Number.isInteger(internet.hops) || internet.hops < 1 || internet.hops > 64) return `internet hops must be an integer in 1..64, got ${internet.hops}`;
  const rtts = [internet.rttMs, ...internet.regions.map((r) => r.rttMs)];
  const bad = rtts.find((ms) => !(Number.isFinite(ms) && ms >= 0 && ms <= 10_000));
  if (bad !== undefined) return `internet rtt must be between 0 and 10 s, got ${bad} ms`;
  const jitters = [internet.jitterMs ?? 0, ...internet.regions.map((r) => r.jitterMs ?? 0)];
  const badJitter = jitters.find((ms) => !(Number.isFinite(ms) && ms >= 0 && ms <= 10_000));
  if (badJitter !== undefined) return `internet jitter must be between 0 and 10 s, got ${badJitter} ms`;
  for (const r of internet.regions) {
    const missing = r.between.find((region) => !nodeRegions.includes(region));
    if (missing !== undefined) return `internet region pair ${r.between.join('-')}: no node has region "${missing}"`;
  }
  return undefined;
}

/** Routers beyond the internet router's own hop, as nftables rules; empty for 1 hop. */
export function renderHopsRuleset(hops: number, table = INTERNET_TABLE): string {
  if (!Number.isInteger(hops) || hops < 1 || hops > 64) throw new Error(`hops must be an integer in 1..64, got ${hops}`);
  const extra = hops - 1;
  const lines = [`table ip ${table} {`];
  if (extra > 0) {
    const entries = [`1-${hops} : jump ttl_dies`];
    for (let ttl = hops + 1; ttl <= 255; ttl++) entries.push(`${ttl} : jump ttl_${ttl}`);
    lines.push('  chain ttl_dies {', '    ip ttl set 1', '  }');
    for (let ttl = hops + 1; ttl <= 255; ttl++) lines.push(`  chain ttl_${ttl} {`, `    ip ttl set ${ttl - extra}`, '  }');
    lines.push(
      '  chain hops {',
      '    type filter hook prerouting priority mangle; policy accept;',
      `    ip ttl vmap { ${entries.join(', ')} }`,
      '  }',
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** One-way delay in µs between two regions' nodes (half the round trip). */
function oneWayUs(rttMs: number): number {
  return Math.round((rttMs * 1000) / 2);
}

/** `<delay-us>` or `<delay-us>~<jitter-us>`: the delayer's form of a delay that varies per packet. */
function delaySpec(delayUs: number, jitterUs: number): string {
  return jitterUs > 0 ? `${delayUs}~${jitterUs}` : String(delayUs);
}

export interface DelayedMachine {
  publicIps: string[];
  region?: string;
  /** A node's own `impair: {delay}` where the kernel has no netem: added to what it sends. */
  extraDelayMs?: number;
  /** A node's own `impair: {jitter}` there: what it sends varies within +- this (one way). */
  extraJitterMs?: number;
}

/** Does this internet need the delayer at all? */
export function needsDelay(internet: Internet): boolean {
  return internet.rttMs > 0 || Boolean(internet.jitterMs) || internet.regions.some((r) => r.rttMs > 0 || Boolean(r.jitterMs));
}

/**
 * The delayer's command-line arguments: queue, default one-way µs, `ip=region`, `a-b=µs`,
 * `ip+µs`. A round trip's jitter is split over its two directions like its rtt (+- half each
 * way), a node's own jitter is one way (what it sends), as netem on its uplink would do.
 */
export function delayerArgs(internet: Internet, machines: DelayedMachine[]): string[] {
  const regionIds = new Map<string, number>();
  for (const r of internet.regions) for (const name of r.between) if (!regionIds.has(name)) regionIds.set(name, regionIds.size + 1);
  if (regionIds.size > 63) throw new Error(`at most 63 regions can have their own round trips, got ${regionIds.size}`);
  const hosts = machines.flatMap((m) => {
    const id = m.region !== undefined ? regionIds.get(m.region) : undefined;
    return id ? m.publicIps.map((ip) => `${ip}=${id}`) : [];
  });
  const pairs = internet.regions.map((r) => `${regionIds.get(r.between[0])}-${regionIds.get(r.between[1])}=${delaySpec(oneWayUs(r.rttMs), oneWayUs(r.jitterMs ?? 0))}`);
  const extra = machines.flatMap((m) => {
    if (!m.extraDelayMs && !m.extraJitterMs) return [];
    const spec = delaySpec(Math.round((m.extraDelayMs ?? 0) * 1000), Math.round((m.extraJitterMs ?? 0) * 1000));
    return m.publicIps.map((ip) => `${ip}+${spec}`);
  });
  return [String(DELAY_QUEUE), delaySpec(oneWayUs(internet.rttMs), oneWayUs(internet.jitterMs ?? 0)), ...hosts, ...pairs, ...extra];
}

/** Forwarded packets between machines (not the controller's) go to the delayer's queue. */
export function delayQueueStep(inet: string, controllerPort: string): Step {
  return inNamespace(inet, [
    'iptables-nft', '-w', '-t', 'mangle', '-A', 'FORWARD', '!', '-i', controllerPort, '!', '-o', controllerPort,
    '-j', 'NFQUEUE', '--queue-num', String(DELAY_QUEUE),
  ]);
}
