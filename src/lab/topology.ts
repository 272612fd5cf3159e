// From a list of nodes and a run id to the full description of a lab: namespaces, veths,
// addresses, routes, sshd listen addresses and file paths, plus the recipe steps that build it.
// Pure: no I/O here, lab.ts executes the steps.
//
// The internet is a router namespace with one point-to-point veth per machine (/32 routes,
// permanent neighbour entries on both ends, fixed MACs): no bridge and no ARP, so a lab never
// needs room in the machine-wide neighbour table however many nodes it has
// (docs/architecture.md, "the lab's internet").
import path from 'node:path';
import type { Impairment, Internet, NatType, Role } from '../config/model.js';
import { carrierLanPlan, internetSubnet, labMac, lanPlan, MAC_KIND, machineAddress, type InternetSubnet, type LanPlan } from './addresses.js';
import { controllerVeth, IFACE, inetNamespace, machineNamespace } from './names.js';
import { impairmentSteps } from './recipes/impair.js';
import { DEFAULT_HOPS, delayQueueStep, INTERNET_TABLE, needsDelay, renderHopsRuleset, validateInternet } from './recipes/internet.js';
import { carrierLayerSteps } from './recipes/double-nat.js';
import { natMachineSteps } from './recipes/nat-machine.js';
import { NAT_KINDS, type NatKind } from './recipes/nat.js';
import { inNamespace, ip, type Step } from './recipes/steps.js';
import { evidenceStep } from './recipes/evidence.js';

export interface LabNodeSpec {
  name: string;
  nat: NatType;
  role: Role;
  impair?: Impairment;
  /** Public addresses of a public node (1 or 2; two serve RFC 5780 STUN servers). Default 1. */
  publicAddresses?: number;
  /** Where the machine is, for the internet's per-region round trips. */
  region?: string;
  /** NAT'd nodes: hairpinning on the router (default: on where the NAT type has it). */
  hairpin?: boolean;
  /** NAT'd nodes: the NAT their own router sits behind (a carrier-grade NAT): a double NAT. */
  behind?: NatType;
  /** 'vm': the node's processes run in a VM attached to its namespace (a LabMachineHook makes it). Default 'namespace'. */
  machine?: 'namespace' | 'vm';
}

export interface SshdPlan {
  listen: string[];
  port: number;
  configPath: string;
  pidPath: string;
  logPath: string;
  hostKeyPath: string;
}

export interface MachinePlan {
  node: string;
  index: number;
  nat: NatType;
  role: Role;
  impair?: Impairment;
  region?: string;
  hairpin?: boolean;
  /** Double NAT: the carrier NAT in front of the node's own router (machineNamespace is then the carrier's). */
  behind?: NatKind;
  /** A VM behind the node's namespace (docs/architecture.md, "VM machines"); absent for namespace machines. */
  machine?: 'vm';
  /** Namespace of the machine's public side: the public node itself, or the NAT'd node's (carrier) router. */
  machineNamespace: string;
  /** Double NAT: the node's own (home) router, behind the carrier router. */
  homeRouterNamespace?: string;
  /** Double NAT: the carrier's LAN (RFC 6598 shared space), the home router's WAN on it. */
  carrierLan?: LanPlan;
  /** NAT'd nodes: where the node's processes run. */
  hostNamespace?: string;
  /** Every namespace of this node. */
  namespaces: string[];
  /** The node's port on the internet bridge (inside the inet namespace). */
  bridgePort: string;
  publicIps: string[];
  /** Address of the node's processes (the host's LAN address behind a NAT). */
  privateIp: string;
  lan?: LanPlan;
  /** Fixed MACs of the machine's links (see labMac): the inet port, the uplink, and behind a NAT the LAN pair. */
  macs: { inetPort: string; uplink: string; lan?: string; host?: string; carrierLan?: string; homeWan?: string };
  workdir: string;
  sshd: SshdPlan;
}

export interface Topology {
  runId: string;
  labRoot: string;
  subnet: InternetSubnet;
  inetNamespace: string;
  /** The controller's veth in the root namespace. */
  controllerVeth: string;
  keysDir: string;
  /** sshd configs, pid files and logs of the machines. */
  sshdDir: string;
  clientKeyPath: string;
  authorizedKeysPath: string;
  knownHostsPath: string;
  /** Hops and round trips of the lab's internet, defaults applied. */
  internet: Internet;
  machines: MachinePlan[];
}

export interface TopologyOptions {
  runId: string;
  subnetIndex: number;
  /** Absolute directory holding node workdirs, keys and sshd files. */
  labRoot: string;
  internet?: Partial<Internet>;
}

export class TopologyError extends Error {
  override name = 'TopologyError';
}

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const RESERVED_NAMES = new Set(['keys']);

function validate(nodes: LabNodeSpec[], labRoot: string): void {
  if (!path.isAbsolute(labRoot)) throw new TopologyError(`lab root must be an absolute path, got "${labRoot}"`);
  if (nodes.length === 0) throw new TopologyError('a lab needs at least one node');
  const seen = new Set<string>();
  for (const node of nodes) {
    if (!NODE_NAME.test(node.name)) throw new TopologyError(`node name "${node.name}" must be letters, digits, "_", "." or "-"`);
    if (RESERVED_NAMES.has(node.name)) throw new TopologyError(`node name "${node.name}" is reserved by the lab (its key directory)`);
    if (seen.has(node.name)) throw new TopologyError(`node name "${node.name}" is used twice`);
    seen.add(node.name);
    const count = node.publicAddresses ?? 1;
    if (count !== 1 && count !== 2) throw new TopologyError(`node "${node.name}": publicAddresses must be 1 or 2, got ${count}`);
    if (count === 2 && node.nat !== 'none') {
      throw new TopologyError(`node "${node.name}": only a public node (nat: none) can hold two public addresses`);
    }
    if (node.behind !== undefined) {
      if (node.behind === 'none' || !NAT_KINDS.includes(node.behind)) throw new TopologyError(`node "${node.name}": behind must be a NAT type (${NAT_KINDS.join(', ')}), got "${node.behind}"`);
      if (node.nat === 'none') throw new TopologyError(`node "${node.name}": behind needs the node's own NAT (nat is none)`);
      if (node.hairpin !== undefined) throw new TopologyError(`node "${node.name}": hairpin is not available behind two NATs`);
    }
  }
}

export function planTopology(nodes: LabNodeSpec[], options: TopologyOptions): Topology {
  const { runId, labRoot } = options;
  validate(nodes, labRoot);
  const internet: Internet = { hops: DEFAULT_HOPS, rttMs: 0, regions: [], ...options.internet };
  const internetProblem = validateInternet(internet, nodes.map((n) => n.region));
  if (internetProblem) throw new TopologyError(internetProblem);
  const subnet = internetSubnet(options.subnetIndex);
  const keysDir = path.join(labRoot, 'keys');
  const sshdDir = path.join(labRoot, '.sshd');
  let nextAddress = 0;

  const machines = nodes.map((node, index): MachinePlan => {
    const publicIps = Array.from({ length: node.publicAddresses ?? 1 }, () => machineAddress(subnet, nextAddress++));
    const natted = node.nat !== 'none';
    const machineNs = machineNamespace(runId, natted ? 'router' : 'public', index, node.name);
    const hostNs = natted ? machineNamespace(runId, 'host', index, node.name) : undefined;
    const lan = natted ? lanPlan(index) : undefined;
    const behind = natted && node.behind && node.behind !== 'none' ? node.behind : undefined;
    const homeNs = behind ? machineNamespace(runId, 'home-router', index, node.name) : undefined;
    return {
      node: node.name,
      index,
      nat: node.nat,
      role: node.role,
      ...(node.impair ? { impair: node.impair } : {}),
      ...(node.region !== undefined ? { region: node.region } : {}),
      ...(node.hairpin !== undefined ? { hairpin: node.hairpin } : {}),
      ...(behind ? { behind } : {}),
      ...(node.machine === 'vm' ? { machine: 'vm' as const } : {}),
      machineNamespace: machineNs,
      ...(homeNs ? { homeRouterNamespace: homeNs, carrierLan: carrierLanPlan(index) } : {}),
      ...(hostNs ? { hostNamespace: hostNs } : {}),
      namespaces: [machineNs, ...(homeNs ? [homeNs] : []), ...(hostNs ? [hostNs] : [])],
      bridgePort: IFACE.bridgePort(index),
      publicIps,
      privateIp: lan ? lan.hostIp : (publicIps[0] as string),
      ...(lan ? { lan } : {}),
      macs: {
        inetPort: labMac(MAC_KIND.inetPort, subnet.index, index),
        uplink: labMac(MAC_KIND.uplink, subnet.index, index),
        ...(lan ? { lan: labMac(MAC_KIND.lan, subnet.index, index), host: labMac(MAC_KIND.host, subnet.index, index) } : {}),
        ...(homeNs ? { carrierLan: labMac(MAC_KIND.carrierLan, subnet.index, index), homeWan: labMac(MAC_KIND.homeWan, subnet.index, index) } : {}),
      },
      workdir: path.join(labRoot, node.name),
      sshd: {
        listen: publicIps,
        port: 22,
        configPath: path.join(sshdDir, `${node.name}.conf`),
        pidPath: path.join(sshdDir, `${node.name}.pid`),
        logPath: path.join(sshdDir, `${node.name}.log`),
        hostKeyPath: path.join(keysDir, `${node.name}.host`),
      },
    };
  });

  return {
    runId,
    labRoot,
    subnet,
    inetNamespace: inetNamespace(runId),
    controllerVeth: controllerVeth(runId),
    keysDir,
    sshdDir,
    clientKeyPath: path.join(keysDir, 'client'),
    authorizedKeysPath: path.join(keysDir, 'authorized_keys'),
    knownHostsPath: path.join(keysDir, 'known_hosts'),
    internet,
    machines,
  };
}

/** Every namespace of the lab, the internet first: created together before anything goes in. */
export function namespaceSteps(t: Topology): Step[] {
  return [t.inetNamespace, ...t.machines.flatMap((m) => m.namespaces)].map((ns) => ({ argv: ['ip', 'netns', 'add', ns] }));
}

/** A permanent neighbour entry: the kernel never resolves (or garbage-collects) it. */
function neighbour(ns: string | undefined, addr: string, mac: string, dev: string): Step {
  return ip(ns, 'neigh', 'replace', addr, 'lladdr', mac, 'dev', dev, 'nud', 'permanent');
}

/** No IPv6 link-local address on lab links: no neighbour discovery either. */
function noIpv6(ns: string | undefined, dev: string): Step {
  return ip(ns, 'link', 'set', 'dev', dev, 'addrgenmode', 'none');
}

/**
 * The internet: a router namespace and the controller's veth into it. The controller holds
 * .1/32 and routes the lab's /24 through the router; the router forwards between /32 routes.
 */
export function inetSteps(t: Topology, options: { delayer?: boolean } = {}): Step[] {
  const delayer = options.delayer ?? needsDelay(t.internet);
  const inet = t.inetNamespace;
  const gw = t.subnet.gatewayIp;
  const ctl = t.subnet.controllerIp;
  const rootMac = labMac(MAC_KIND.controller, t.subnet.index);
  const portMac = labMac(MAC_KIND.controllerPort, t.subnet.index);
  return [
    inNamespace(inet, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']),
    ip(undefined, 'link', 'add', t.controllerVeth, 'address', rootMac, 'type', 'veth', 'peer', 'name', IFACE.controllerPort, 'address', portMac, 'netns', inet),
    noIpv6(undefined, t.controllerVeth),
    ip(undefined, 'addr', 'add', `${ctl}/32`, 'dev', t.controllerVeth),
    ip(undefined, 'link', 'set', t.controllerVeth, 'up'),
    ip(undefined, 'route', 'add', t.subnet.cidr, 'via', gw, 'dev', t.controllerVeth, 'onlink'),
    neighbour(undefined, gw, portMac, t.controllerVeth),
    ip(inet, 'link', 'set', 'lo', 'up'),
    noIpv6(inet, IFACE.controllerPort),
    ip(inet, 'addr', 'add', `${gw}/32`, 'dev', IFACE.controllerPort),
    ip(inet, 'link', 'set', IFACE.controllerPort, 'up'),
    ip(inet, 'route', 'add', `${ctl}/32`, 'dev', IFACE.controllerPort),
    neighbour(inet, ctl, rootMac, IFACE.controllerPort),
    ...(t.internet.hops > 1 ? [inNamespace(inet, ['nft', '-f', '-'], renderHopsRuleset(t.internet.hops, INTERNET_TABLE))] : []),
    ...(delayer ? [delayQueueStep(inet, IFACE.controllerPort)] : []),
  ];
}

/**
 * On a kernel without netem a node's delay and jitter go through the internet's delayer
 * instead of the node's link: what is left for the link's own recipe.
 */
export function linkImpairment(impair: Impairment | undefined, netem: boolean): Impairment | undefined {
  if (!impair || netem || (!impair.delayMs && !impair.jitterMs)) return impair;
  const { delayMs: _delay, jitterMs: _jitter, ...rest } = impair;
  void _delay;
  void _jitter;
  return rest;
}

/** A machine's own delay and jitter that the internet's delayer applies (kernel without netem). */
export function delayerImpairment(m: MachinePlan, netem: boolean): { delayMs?: number; jitterMs?: number } | undefined {
  // a VM's own impairment is its kernel's netem (src/vm/seed.ts)
  if (m.machine === 'vm' || linkImpairment(m.impair, netem) === m.impair) return undefined;
  return { ...(m.impair?.delayMs ? { delayMs: m.impair.delayMs } : {}), ...(m.impair?.jitterMs ? { jitterMs: m.impair.jitterMs } : {}) };
}

/** Behind two NATs: the carrier layer's steps, and the node's own router and its WAN address. */
function doubleNatLayer(t: Topology, m: MachinePlan, netem: boolean): { carrierSteps: Step[]; routerNs: string; wanIp: string } {
  if (!m.behind || !m.homeRouterNamespace || !m.carrierLan) return { carrierSteps: [], routerNs: m.machineNamespace, wanIp: m.publicIps[0] as string };
  const carrierSteps = carrierLayerSteps({
    behind: m.behind,
    carrierNs: m.machineNamespace,
    homeRouterNs: m.homeRouterNamespace,
    carrierLan: m.carrierLan,
    publicIp: m.publicIps[0] as string,
    sshFrom: [t.subnet.controllerIp],
    netem,
    ...(m.macs.carrierLan && m.macs.homeWan ? { macs: { lan: m.macs.carrierLan, host: m.macs.homeWan } } : {}),
  });
  return { carrierSteps, routerNs: m.homeRouterNamespace, wanIp: m.carrierLan.hostIp };
}

/** One machine: its link to the internet router, addresses, routes, NAT, impairments. Its namespaces exist already. */
export function machineSteps(t: Topology, m: MachinePlan, options: { netem: boolean }): Step[] {
  // A VM applies its impairment with its own kernel's netem (src/vm/seed.ts), not on the host's links.
  const impair = m.machine === 'vm' ? undefined : linkImpairment(m.impair, options.netem);
  const inet = t.inetNamespace;
  const ns = m.machineNamespace;
  const gw = t.subnet.gatewayIp;
  const port = m.bridgePort;
  const uplink = m.lan ? IFACE.wan : IFACE.uplink;
  const steps: Step[] = [
    ip(inet, 'link', 'add', port, 'address', m.macs.inetPort, 'type', 'veth', 'peer', 'name', uplink, 'address', m.macs.uplink, 'netns', ns),
    noIpv6(inet, port),
    ip(inet, 'addr', 'add', `${gw}/32`, 'dev', port),
    ip(inet, 'link', 'set', port, 'up'),
    ...m.publicIps.flatMap((addr) => [ip(inet, 'route', 'add', `${addr}/32`, 'dev', port), neighbour(inet, addr, m.macs.uplink, port)]),
    ip(ns, 'link', 'set', 'lo', 'up'),
    noIpv6(ns, uplink),
    ...m.publicIps.map((addr) => ip(ns, 'addr', 'add', `${addr}/32`, 'dev', uplink)),
    ip(ns, 'link', 'set', uplink, 'up'),
    ip(ns, 'route', 'add', 'default', 'via', gw, 'dev', uplink, 'onlink'),
    neighbour(ns, gw, m.macs.inetPort, uplink),
  ];
  // The namespace that counts the path evidence: the node's own router (behind two NATs the
  // home router, so only what passed both filters counts), else the public machine itself.
  let evidenceNs = ns;
  if (m.lan && m.hostNamespace && m.nat !== 'none') {
    // Double NAT: the machine's router is the carrier's; the node's own router sits on its LAN.
    const home = doubleNatLayer(t, m, options.netem);
    evidenceNs = home.routerNs;
    steps.push(
      ...home.carrierSteps,
      ...natMachineSteps({
        nat: m.nat,
        routerNs: home.routerNs,
        hostNs: m.hostNamespace,
        wan: IFACE.wan,
        lan: IFACE.lan,
        hostIface: IFACE.uplink,
        lanRouterIp: m.lan.routerIp,
        lanHostIp: m.lan.hostIp,
        lanPrefixLen: m.lan.prefixLen,
        sshFrom: [t.subnet.controllerIp],
        ...(impair ? { impair } : {}),
        netem: options.netem,
        hostNamespaceExists: true,
        wanIp: home.wanIp,
        ...(m.hairpin !== undefined ? { hairpin: m.hairpin } : {}),
        ...(m.macs.lan && m.macs.host ? { macs: { lan: m.macs.lan, host: m.macs.host } } : {}),
        // a VM host runs its own sshd: the router forwards the controller's SSH to it
        ...(m.machine === 'vm' ? { sshTo: m.lan.hostIp } : {}),
      }),
    );
  } else {
    steps.push(
      ...impairmentSteps(
        impair,
        {
          uplink: { ns, dev: IFACE.uplink },
          downlink: { ns: inet, dev: m.bridgePort },
          loss: { ns, dev: IFACE.uplink },
          exemptSshFrom: t.subnet.controllerIp,
        },
        options.netem,
      ),
    );
  }
  // path evidence (docs/architecture.md): last, so the machine's ip commands stay one batch
  // (a public VM's namespace routes for the guest behind it, like a router)
  steps.push(evidenceStep(evidenceNs, { publicIface: uplink, routed: Boolean(m.lan) || m.machine === 'vm' }));
  return steps;
}
