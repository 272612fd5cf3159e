// The fleet's vocabulary, shared by every stage (docs/architecture.md, "Folders"): what a
// provider hands over and what lab, ssh, deploy, suites and results speak about. Neutral: it
// imports nothing but the config's plain types, so no arrow runs back up.
import type { Arch, NatType, Role } from '../config/model.js';

export type { Arch, NatType, Role } from '../config/model.js';

export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  /** The host's public key, OpenSSH format ("ssh-ed25519 AAAA..."). Always verified. */
  hostKey: string;
}

export interface FleetNode {
  name: string;
  role: Role;
  nat: NatType;
  arch: Arch;
  /** Address other nodes and the controller use to reach this machine. */
  publicIp: string;
  /** Address of the node's own process when behind a NAT (e.g. 10.3.0.2); else equal to publicIp. */
  privateIp: string;
  ssh: SshEndpoint;
  /** Directory owned by this node on its machine; every file of the run lives below it. */
  workdir: string;
  /**
   * Prefix that runs a command as the node's process rather than on its machine's public side,
   * e.g. ["ip","netns","exec","vt1a-nat1-host"] for a NAT'd lab node. Empty for public nodes.
   */
  execPrefix: string[];
  /** Network namespaces or droplet ids that make up this node (for nodes/diagnose/down). */
  resources: string[];
  /** NAT router namespace, for conntrack flushes and NAT rules in diagnose (lab only). */
  routerNamespace?: string;
  /** Double NAT (lab only): the carrier router in front of routerNamespace, and its NAT type. */
  carrierRouter?: { namespace: string; nat: NatType };
  /** Whether the machine runs systemd (services become units) or not (supervised processes). */
  systemd: boolean;
}

export interface Fleet {
  runId: string;
  provider: string;
  nodes: FleetNode[];
  /** Private key (OpenSSH PEM) the controller uses for every node of this run. Never logged. */
  clientKeyPath: string;
  /**
   * "SHA256:..." of the client key when it was derived from VPS_TEST_SSH_SECRET (docs/architecture.md,
   * "Keys across jobs"): a later job regenerates the key and checks its secret against this.
   */
  clientKeyFingerprint?: string;
  /** Address of the controller as seen by nodes (lab: its address on the internet bridge). */
  controllerIp?: string;
  /** Planned nodes never reached (inventory): not in `nodes`; the run is degraded by them. */
  unreachable?: { name: string; reason: string }[];
}
