// Address plan of a lab. Pure.
// Each lab owns one /24 of the benchmark range 198.18.0.0/15 (512 of them), so labs that exist
// at the same time (concurrent tests, two users) never share an internet. Inside it:
//   .1        the controller (this process, root namespace)
//   .10 ...   machines' public addresses, in node order (a node may hold two)
//   .254      the internet's "upstream": the bridge itself; it forwards nothing, so a default
//             route exists (tools that connect() to 8.8.8.8 to learn their address work) but
//             no packet leaves the lab.
// NAT'd node k (0-based index) has the LAN 10.<k+1>.0.0/24: router .1, host .2.
// Behind two NATs, its home router's WAN is on the carrier's LAN 100.64.<k+1>.0/24 (RFC 6598
// shared address space, what carrier-grade NATs use): carrier .1, home router .2.

export const SUBNET_COUNT = 512;
export const FIRST_MACHINE_HOST = 10;
export const LAST_MACHINE_HOST = 253;
export const MAX_LAN_INDEX = 253;

export interface InternetSubnet {
  index: number;
  /** e.g. "198.18.7.0/24" */
  cidr: string;
  prefixLen: 24;
  controllerIp: string;
  gatewayIp: string;
}

export function internetSubnet(index: number): InternetSubnet {
  if (!Number.isInteger(index) || index < 0 || index >= SUBNET_COUNT) {
    throw new RangeError(`subnet index ${index} outside 0..${SUBNET_COUNT - 1}`);
  }
  const base = `198.${18 + Math.floor(index / 256)}.${index % 256}`;
  return { index, cidr: `${base}.0/24`, prefixLen: 24, controllerIp: `${base}.1`, gatewayIp: `${base}.254` };
}

/** The n-th (0-based) machine address of a subnet. */
export function machineAddress(subnet: InternetSubnet, n: number): string {
  const host = FIRST_MACHINE_HOST + n;
  if (host > LAST_MACHINE_HOST) {
    throw new RangeError(`a lab holds at most ${LAST_MACHINE_HOST - FIRST_MACHINE_HOST + 1} public addresses`);
  }
  return subnet.cidr.replace(/\.0\/24$/, `.${host}`);
}

export interface LanPlan {
  cidr: string;
  prefixLen: 24;
  routerIp: string;
  hostIp: string;
}

export function lanPlan(nodeIndex: number): LanPlan {
  if (!Number.isInteger(nodeIndex) || nodeIndex < 0 || nodeIndex >= MAX_LAN_INDEX) {
    throw new RangeError(`NAT'd node index ${nodeIndex} outside 0..${MAX_LAN_INDEX - 1}`);
  }
  const net = `10.${nodeIndex + 1}.0`;
  return { cidr: `${net}.0/24`, prefixLen: 24, routerIp: `${net}.1`, hostIp: `${net}.2` };
}

/** The carrier router's LAN of double-NAT'd node k: its own side .1, the node's home router .2. */
export function carrierLanPlan(nodeIndex: number): LanPlan {
  if (!Number.isInteger(nodeIndex) || nodeIndex < 0 || nodeIndex >= MAX_LAN_INDEX) {
    throw new RangeError(`NAT'd node index ${nodeIndex} outside 0..${MAX_LAN_INDEX - 1}`);
  }
  const net = `100.64.${nodeIndex + 1}`;
  return { cidr: `${net}.0/24`, prefixLen: 24, routerIp: `${net}.1`, hostIp: `${net}.2` };
}

/** Index of the /24 of 198.18.0.0/15 that contains `ipv4`, or undefined if outside the range. */
export function subnetIndexOf(ipv4: string): number | undefined {
  const m = /^198\.(18|19)\.(\d{1,3})\.\d{1,3}$/.exec(ipv4);
  if (!m) return undefined;
  return (Number(m[1]) - 18) * 256 + Number(m[2]);
}

/** What a lab interface is, for its MAC address (one byte of it). */
export const MAC_KIND = {
  /** the internet router's port towards machine k */
  inetPort: 1,
  /** machine k's uplink (public node eth0, or a router's wan) */
  uplink: 2,
  /** router k's LAN side */
  lan: 3,
  /** host k's interface behind its router */
  host: 4,
  /** the internet router's port towards the controller */
  controllerPort: 5,
  /** the controller's veth in the root namespace */
  controller: 6,
  /** double NAT: carrier router k's side of its LAN */
  carrierLan: 7,
  /** double NAT: home router k's WAN on the carrier's LAN */
  homeWan: 8,
} as const;

/**
 * Fixed, locally administered MAC addresses, so every neighbour entry can be written as a
 * permanent one at provision time and the lab never asks the machine-wide ARP table for room
 * (docs/architecture.md, "the lab's internet"). Unique per lab and interface role.
 */
export function labMac(kind: number, subnetIndex: number, index = 0): string {
  const bytes = [0x02, kind, subnetIndex >> 8, subnetIndex & 0xff, index >> 8, index & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
