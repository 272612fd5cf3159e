// From a list of nodes and a run id to the full description of a lab: namespaces, veths,
// addresses, routes, sshd listen addresses and file paths, plus the recipe steps that build it.
// Pure: no I/O here, lab.ts executes the steps.
import path from 'node:path';
import type { Impairment, NatType, Role } from '../config/model.js';
import { internetSubnet, lanPlan, machineAddress, type InternetSubnet, type LanPlan } from './addresses.js';
import { controllerVeth, IFACE, inetNamespace, machineNamespace } from './names.js';
import { impairmentSteps } from './recipes/impair.js';
import { natMachineSteps } from './recipes/nat-machine.js';
import { inNamespace, ip, type Step } from './recipes/steps.js';
import { evidenceStep } from './recipes/evidence.js';

export interface LabNodeSpec {
  name: string;
  nat: NatType;
  role: Role;
  impair?: Impairment;
  /** Public addresses of a public node (1 or 2; two serve RFC 5780 STUN servers). Default 1. */
  publicAddresses?: number;
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
  /** Namespace of the machine's public side: the public node itself, or the NAT'd node's router. */
  machineNamespace: string;
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
  machines: MachinePlan[];
}

export interface TopologyOptions {
  runId: string;
  subnetIndex: number;
  /** Absolute directory holding node workdirs, keys and sshd files. */
  labRoot: string;
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
  }
}

export function planTopology(nodes: LabNodeSpec[], options: TopologyOptions): Topology {
  const { runId, labRoot } = options;
  validate(nodes, labRoot);
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
    return {
      node: node.name,
      index,
      nat: node.nat,
      role: node.role,
      ...(node.impair ? { impair: node.impair } : {}),
      machineNamespace: machineNs,
      ...(hostNs ? { hostNamespace: hostNs } : {}),
      namespaces: hostNs ? [machineNs, hostNs] : [machineNs],
      bridgePort: IFACE.bridgePort(index),
      publicIps,
      privateIp: lan ? lan.hostIp : (publicIps[0] as string),
      ...(lan ? { lan } : {}),
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
    machines,
  };
}

/** The internet: a bridge in its own namespace, and the controller's veth into it. */
export function inetSteps(t: Topology): Step[] {
  const inet = t.inetNamespace;
  const len = t.subnet.prefixLen;
  return [
    { argv: ['ip', 'netns', 'add', inet] },
    ip(inet, 'link', 'set', 'lo', 'up'),
    // The internet forwards nothing between its addresses (a dead-end upstream, see addresses.ts).
    inNamespace(inet, ['sysctl', '-qw', 'net.ipv4.ip_forward=0']),
    ip(inet, 'link', 'add', IFACE.bridge, 'type', 'bridge'),
    ip(inet, 'addr', 'add', `${t.subnet.gatewayIp}/${len}`, 'dev', IFACE.bridge),
    ip(inet, 'link', 'set', IFACE.bridge, 'up'),
    ip(undefined, 'link', 'add', t.controllerVeth, 'type', 'veth', 'peer', 'name', IFACE.controllerPort, 'netns', inet),
    ip(inet, 'link', 'set', IFACE.controllerPort, 'master', IFACE.bridge),
    ip(inet, 'link', 'set', IFACE.controllerPort, 'up'),
    ip(undefined, 'addr', 'add', `${t.subnet.controllerIp}/${len}`, 'dev', t.controllerVeth),
    ip(undefined, 'link', 'set', t.controllerVeth, 'up'),
  ];
}

/** One machine: its namespace(s), its port on the bridge, addresses, routes, NAT, impairments. */
export function machineSteps(t: Topology, m: MachinePlan, options: { netem: boolean }): Step[] {
  const inet = t.inetNamespace;
  const ns = m.machineNamespace;
  const len = t.subnet.prefixLen;
  const uplink = m.lan ? IFACE.wan : IFACE.uplink;
  const steps: Step[] = [
    { argv: ['ip', 'netns', 'add', ns] },
    ip(ns, 'link', 'set', 'lo', 'up'),
    ip(inet, 'link', 'add', m.bridgePort, 'type', 'veth', 'peer', 'name', uplink, 'netns', ns),
    ip(inet, 'link', 'set', m.bridgePort, 'master', IFACE.bridge),
    ip(inet, 'link', 'set', m.bridgePort, 'up'),
    ...m.publicIps.map((addr) => ip(ns, 'addr', 'add', `${addr}/${len}`, 'dev', uplink)),
    ip(ns, 'link', 'set', uplink, 'up'),
    ip(ns, 'route', 'add', 'default', 'via', t.subnet.gatewayIp),
    evidenceStep(ns, { publicIface: uplink, routed: Boolean(m.lan) }), // path evidence, docs/architecture.md
  ];
  if (m.lan && m.hostNamespace && m.nat !== 'none') {
    steps.push(
      ...natMachineSteps({
        nat: m.nat,
        routerNs: ns,
        hostNs: m.hostNamespace,
        wan: IFACE.wan,
        lan: IFACE.lan,
        hostIface: IFACE.uplink,
        lanRouterIp: m.lan.routerIp,
        lanHostIp: m.lan.hostIp,
        lanPrefixLen: m.lan.prefixLen,
        sshFrom: [t.subnet.controllerIp],
        ...(m.impair ? { impair: m.impair } : {}),
        netem: options.netem,
      }),
    );
  } else {
    steps.push(
      ...impairmentSteps(
        m.impair,
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
  return steps;
}
