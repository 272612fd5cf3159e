// How a VM joins the lab (docs/architecture.md, "VM machines"): the node's namespace is built
// as usual, then the node's address moves from the namespace's veth to the guest behind a tap
// in the same namespace. The namespace routes the address to the tap (a permanent neighbour
// entry: no ARP for it on the host) and answers the guest's ARP for everything else (proxy
// ARP), so the NAT router, the internet and its neighbour entries see the same address and MAC
// as for a namespace node. Pure: steps in, lab.ts runs them.
import { createHash } from 'node:crypto';
import { inNamespace, ip, type Step } from '../lab/recipes/steps.js';

export const TAP = 'vmtap';

export interface Attachment {
  /** The namespace the node's processes would live in (the public machine, or the NAT'd host). */
  ns: string;
  /** Its veth towards the internet or the NAT router. */
  veth: string;
  /** The node's address and the prefix it had on the veth. */
  address: string;
  prefixLen: number;
  /** The next hop the veth's routes used, and its MAC (its permanent neighbour entry goes with the address). */
  gateway: string;
  gatewayMac: string;
  guestMac: string;
  tapMac: string;
}

/** Locally administered unicast MACs, fixed per run, node and role (guest NIC / tap). */
export function vmMac(runId: string, node: string, role: 'guest' | 'tap'): string {
  const h = createHash('sha256').update(`${runId}/${node}/${role}`).digest();
  const bytes = [0x52, 0x56, (h[0] as number) & 0xff, h[1] as number, h[2] as number, h[3] as number];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function attachSteps(a: Attachment): Step[] {
  const ns = a.ns;
  return [
    ip(ns, 'addr', 'del', `${a.address}/${a.prefixLen}`, 'dev', a.veth),
    ip(ns, 'tuntap', 'add', 'dev', TAP, 'mode', 'tap'),
    ip(ns, 'link', 'set', 'dev', TAP, 'address', a.tapMac),
    ip(ns, 'link', 'set', 'dev', TAP, 'addrgenmode', 'none'),
    ip(ns, 'link', 'set', TAP, 'up'),
    // removing the veth's last address flushed its neighbour entries, the permanent one too
    ip(ns, 'neigh', 'replace', a.gateway, 'lladdr', a.gatewayMac, 'dev', a.veth, 'nud', 'permanent'),
    ip(ns, 'route', 'replace', 'default', 'via', a.gateway, 'dev', a.veth, 'onlink'),
    ip(ns, 'route', 'add', `${a.address}/32`, 'dev', TAP),
    ip(ns, 'neigh', 'replace', a.address, 'lladdr', a.guestMac, 'dev', TAP, 'nud', 'permanent'),
    inNamespace(ns, ['sysctl', '-qw', 'net.ipv4.ip_forward=1', `net.ipv4.conf.${TAP}.proxy_arp=1`, 'net.ipv4.conf.all.rp_filter=0', `net.ipv4.conf.${TAP}.rp_filter=0`, `net.ipv4.conf.${a.veth}.rp_filter=0`]),
  ];
}
