// The NAT'd machine recipe: a host namespace behind a router that masquerades it with one of
// the four NAT behaviours. The lab runs these steps with the router being a namespace; a cloud
// machine runs the same steps (as a script) with its own root namespace as the router.
import type { Impairment } from '../../config/model.js';
import { impairmentSteps } from './impair.js';
import { NAT_TABLE, renderNatRuleset, replaceTable, type NatKind } from './nat.js';
import { inNamespace, ip, renderStep, type Step } from './steps.js';

export interface NatMachineOptions {
  nat: NatKind;
  /** Router namespace; undefined = the machine's own namespace is the router (cloud). */
  routerNs?: string;
  /** Namespace where the node's processes run. */
  hostNs: string;
  /** Router interface facing the internet. */
  wan: string;
  /** Router interface facing the host. */
  lan?: string;
  /** Host's interface. */
  hostIface?: string;
  lanRouterIp: string;
  lanHostIp: string;
  lanPrefixLen: number;
  /** Who may reach the router's sshd; empty = anyone. */
  sshFrom: string[];
  impair?: Impairment;
  /** Whether the kernel has sch_netem (decides whether delay/jitter are possible). */
  netem: boolean;
  /** The router's public address (hairpinning, sequential ports). */
  wanIp?: string;
  /** Hairpinning on this NAT (default: on where the type has it, see hairpinDefault). */
  hairpin?: boolean;
  /** The lab creates every namespace up front, in one batch. */
  hostNamespaceExists?: boolean;
  /** Fixed MACs of the LAN pair: both ends then get permanent neighbour entries (no ARP). */
  macs?: { lan: string; host: string };
  /** The host runs its own sshd (a VM): the controller's SSH to the router is forwarded to this address. */
  sshTo?: string;
}

export function natMachineSteps(o: NatMachineOptions): Step[] {
  const lan = o.lan ?? 'lan';
  const hostIface = o.hostIface ?? 'eth0';
  const r = o.routerNs;
  const h = o.hostNs;
  const ruleset = renderNatRuleset(o.nat, {
    wan: o.wan,
    lan,
    sshFrom: o.sshFrom,
    ...(o.wanIp ? { wanIp: o.wanIp } : {}),
    ...(o.hairpin !== undefined ? { hairpin: o.hairpin } : {}),
    ...(o.sshTo ? { sshTo: o.sshTo } : {}),
  });
  const macs = o.macs;
  const link = macs
    ? ip(r, 'link', 'add', lan, 'address', macs.lan, 'type', 'veth', 'peer', 'name', hostIface, 'address', macs.host, 'netns', h)
    : ip(r, 'link', 'add', lan, 'type', 'veth', 'peer', 'name', hostIface, 'netns', h);
  const permanent = (ns: string | undefined, addr: string, mac: string, dev: string) =>
    ip(ns, 'neigh', 'replace', addr, 'lladdr', mac, 'dev', dev, 'nud', 'permanent');
  // Router side first, then host side: each side's commands are consecutive, so the lab runs
  // them as one `ip -batch` per namespace.
  return [
    ...(o.hostNamespaceExists ? [] : [{ argv: ['ip', 'netns', 'add', h] }]),
    link,
    ...(macs ? [ip(r, 'link', 'set', 'dev', lan, 'addrgenmode', 'none')] : []),
    ip(r, 'addr', 'add', `${o.lanRouterIp}/${o.lanPrefixLen}`, 'dev', lan),
    ip(r, 'link', 'set', lan, 'up'),
    ...(macs ? [permanent(r, o.lanHostIp, macs.host, lan)] : []),
    ip(h, 'link', 'set', 'lo', 'up'),
    ...(macs ? [ip(h, 'link', 'set', 'dev', hostIface, 'addrgenmode', 'none')] : []),
    ip(h, 'addr', 'add', `${o.lanHostIp}/${o.lanPrefixLen}`, 'dev', hostIface),
    ip(h, 'link', 'set', hostIface, 'up'),
    ip(h, 'route', 'add', 'default', 'via', o.lanRouterIp),
    ...(macs ? [permanent(h, o.lanRouterIp, macs.lan, hostIface)] : []),
    inNamespace(r, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']),
    inNamespace(r, ['nft', '-f', '-'], replaceTable(NAT_TABLE, ruleset)),
    ...impairmentSteps(
      o.impair,
      { uplink: { ns: h, dev: hostIface }, downlink: { ...(r ? { ns: r } : {}), dev: lan }, loss: { ns: h, dev: hostIface } },
      o.netem,
    ),
  ];
}

export interface NatScriptOptions extends Omit<NatMachineOptions, 'routerNs'> {
  /** Shown in the script's header comment. */
  title?: string;
}

/**
 * One standalone POSIX shell script that turns a machine (run as root, e.g. a droplet) into a
 * NAT router with the node's host namespace behind it. Re-runnable: it removes what a previous
 * run made first. Start the node's processes with `ip netns exec <hostNs> ...`.
 */
export function renderNatScript(o: NatScriptOptions): string {
  const lan = o.lan ?? 'lan';
  const steps = natMachineSteps({ ...o, routerNs: undefined });
  return [
    '#!/bin/sh',
    `# ${o.title ?? `vps-test NAT node: ${o.nat} behind ${o.wan}`}`,
    `# processes of the node run with: ip netns exec ${o.hostNs} <command>`,
    'set -eu',
    ...cleanupLines(o.hostNs, lan),
    ...steps.map(renderStep),
    '',
  ].join('\n');
}

/** Undo renderNatScript: stop the host namespace's processes, remove it and the NAT table. */
export function renderNatTeardownScript(o: Pick<NatScriptOptions, 'hostNs' | 'lan'>): string {
  return ['#!/bin/sh', '# vps-test NAT node teardown', 'set -u', ...cleanupLines(o.hostNs, o.lan ?? 'lan'), ''].join('\n');
}

function cleanupLines(hostNs: string, lan: string): string[] {
  const ns = renderStep({ argv: [hostNs] });
  return [
    `if [ -e /run/netns/${ns} ]; then`,
    `  for pid in $(ip netns pids ${ns}); do kill -9 "$pid" 2>/dev/null || true; done`,
    `  ip netns del ${ns}`,
    'fi',
    `ip link del ${renderStep({ argv: [lan] })} 2>/dev/null || true`,
    `nft delete table ip ${NAT_TABLE} 2>/dev/null || true`,
  ];
}
