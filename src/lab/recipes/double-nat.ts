// A double NAT (docs/architecture.md, "Double NAT"): a node whose own router sits behind a
// second one, as a home router behind a carrier-grade NAT. The machine's public side is the
// carrier's router; its LAN (RFC 6598 shared space, 100.64.0.0/10) holds one "host", the
// node's home router, which NATs the node's host like any lab NAT. Both are the same recipe
// (nat-machine.ts), so each router behaves exactly as its type does alone. Pure.
import type { LanPlan } from '../addresses.js';
import { IFACE } from '../names.js';
import { natMachineSteps } from './nat-machine.js';
import type { NatKind } from './nat.js';
import type { Step } from './steps.js';

export interface CarrierLayer {
  /** The carrier NAT's type (the node's `behind`). */
  behind: NatKind;
  /** The machine's public side: the carrier's router, holding the public address and sshd. */
  carrierNs: string;
  /** The node's own router, the one host on the carrier's LAN. */
  homeRouterNs: string;
  carrierLan: LanPlan;
  publicIp: string;
  /** Who may reach the carrier router's sshd. */
  sshFrom: string[];
  netem: boolean;
  macs?: { lan: string; host: string };
}

/**
 * The carrier's LAN and NAT: its `lan` faces the home router's `wan`, whose default route goes
 * through the carrier. Hairpinning keeps the carrier type's default (RFC 4787 REQ-9: on where
 * the mapping is endpoint-independent). No impairment here: a node's impairment is on its own
 * link, behind its home router.
 */
export function carrierLayerSteps(o: CarrierLayer): Step[] {
  return natMachineSteps({
    nat: o.behind,
    routerNs: o.carrierNs,
    hostNs: o.homeRouterNs,
    wan: IFACE.wan,
    lan: IFACE.lan,
    hostIface: IFACE.wan,
    lanRouterIp: o.carrierLan.routerIp,
    lanHostIp: o.carrierLan.hostIp,
    lanPrefixLen: o.carrierLan.prefixLen,
    sshFrom: o.sshFrom,
    netem: o.netem,
    hostNamespaceExists: true,
    wanIp: o.publicIp,
    ...(o.macs ? { macs: o.macs } : {}),
  });
}
