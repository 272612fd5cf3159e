// Topology + host keys -> the Fleet every later stage uses. Pure.
import type { Arch } from '../config/model.js';
import type { Fleet, FleetNode } from '../fleet/types.js';
import type { Topology } from './topology.js';

export function archOf(nodeArch: string): Arch {
  if (nodeArch === 'x64') return 'x86_64';
  if (nodeArch === 'arm64') return 'aarch64';
  throw new Error(`the lab runs on this machine, whose architecture "${nodeArch}" vps-test does not target (x64, arm64)`);
}

export function labFleet(t: Topology, hostKeys: Map<string, string>, options: { user: string; arch: Arch; vms?: Map<string, { workdir: string }> }): Fleet {
  const nodes = t.machines.map((m): FleetNode => {
    const hostKey = hostKeys.get(m.node);
    if (!hostKey) throw new Error(`no host key for lab node "${m.node}"`);
    const publicIp = m.publicIps[0] as string;
    const vm = m.machine === 'vm' ? options.vms?.get(m.node) : undefined;
    if (m.machine === 'vm' && !vm) throw new Error(`lab node "${m.node}" is a VM that was never started`);
    if (vm) {
      // its own kernel and systemd: root over SSH (forwarded by its NAT router), services as units
      return {
        name: m.node, role: m.role, nat: m.nat, arch: options.arch, publicIp, privateIp: m.privateIp,
        ssh: { host: publicIp, port: 22, user: 'root', hostKey },
        workdir: vm.workdir, execPrefix: [], resources: m.namespaces,
        ...(m.hostNamespace ? { routerNamespace: m.machineNamespace } : {}),
        systemd: true,
      };
    }
    return {
      name: m.node,
      role: m.role,
      nat: m.nat,
      arch: options.arch,
      publicIp,
      privateIp: m.privateIp,
      ssh: { host: publicIp, port: m.sshd.port, user: options.user, hostKey },
      workdir: m.workdir,
      execPrefix: m.hostNamespace ? ['ip', 'netns', 'exec', m.hostNamespace] : [],
      resources: m.namespaces,
      ...(m.hostNamespace ? { routerNamespace: m.homeRouterNamespace ?? m.machineNamespace } : {}),
      ...(m.behind && m.homeRouterNamespace ? { carrierRouter: { namespace: m.machineNamespace, nat: m.behind } } : {}),
      systemd: false,
    };
  });
  return { runId: t.runId, provider: 'local', nodes, clientKeyPath: t.clientKeyPath, controllerIp: t.subnet.controllerIp };
}

/** One line per machine for progress output. */
export function describeMachine(t: Topology, node: string): string {
  const m = t.machines.find((x) => x.node === node);
  if (!m) return node;
  const where = m.lan
    ? m.behind && m.carrierLan
      ? `${m.nat} NAT behind a ${m.behind} NAT: carrier ${m.publicIps.join(', ')} -> home router ${m.carrierLan.hostIp} -> host ${m.privateIp}`
      : `${m.nat} NAT: router ${m.publicIps.join(', ')} -> host ${m.privateIp}`
    : `public ${m.publicIps.join(', ')}`;
  const i = m.impair ?? {};
  const parts = [
    i.delayMs ? `delay ${i.delayMs} ms` : '',
    i.jitterMs ? `jitter ${i.jitterMs} ms` : '',
    i.lossPercent ? `loss ${i.lossPercent}%` : '',
    i.rateKbit ? `rate ${i.rateKbit} kbit/s` : '',
  ].filter(Boolean);
  const impair = parts.length > 0 ? `; impaired: ${parts.join(', ')}` : '';
  return `${m.node}: ${where}${impair}`;
}
