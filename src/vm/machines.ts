// The lab's VM launcher (docs/architecture.md, "VM machines"): the LabMachineHook the local
// provider hands to createLab for `machine: vm` nodes. Per VM: a copy-on-write overlay of the
// base image, a NoCloud seed, qemu inside the node's namespace on a tap, then the first SSH
// connection verified against the host key we generated and cloud-init's own verdict.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Exec } from '../lab/exec.js';
import type { LabMachineHook, MachineStartContext } from '../lab/lab.js';
import { IFACE } from '../lab/names.js';
import { waitForSsh } from '../lab/sshd.js';
import type { MachinePlan, Topology } from '../lab/topology.js';
import type { Accel } from './accel.js';
import { attachSteps, TAP, vmMac, type Attachment } from './attach.js';
import type { VmImage } from './image.js';
import { overlayArgv, qemuArgv, type VmFiles } from './qemu.js';
import { writeSeed, type SeedSpec } from './seed.js';
import { waitForCloudInit } from './ssh-check.js';

export interface VmMachinesOptions {
  image: VmImage;
  accel: Accel;
  memoryMb?: number;
  /** From qemu's start to cloud-init done. Default 20 min (software emulation on a busy 2-core host). */
  bootTimeoutMs?: number;
  /** VMs booting at once (software emulation: 3 on 2 cores). Default 3. */
  parallel?: number;
  /** Extra cloud-init user-data per node (the fake DigitalOcean's user_data). */
  userData?: (node: string) => string | undefined;
}

export interface VmBoot {
  node: string;
  /** qemu start -> SSH banner / -> cloud-init done, ms. */
  bannerMs: number;
  readyMs: number;
  /** The qemu process's resident memory after boot, MiB. */
  rssMb?: number;
  pid?: number;
}

export class VmBootError extends Error {
  override name = 'VmBootError';
}

/** The guest's workdir: like a droplet's (docs/architecture.md, "DigitalOcean"). */
export function guestWorkdir(node: string): string {
  return `/root/vps-test/${node}`;
}

export function vmDir(labRoot: string, node: string): string {
  return path.join(labRoot, 'vm', node);
}

export function vmFiles(dir: string): VmFiles {
  return { overlay: path.join(dir, 'overlay.qcow2'), seedIso: path.join(dir, 'seed.iso'), console: path.join(dir, 'console.log'), pidFile: path.join(dir, 'qemu.pid') };
}

/** Where the guest sits: the public machine's namespace, or the NAT'd node's host namespace. Pure. */
export function attachmentOf(t: Topology, m: MachinePlan): Attachment {
  const common = { veth: IFACE.uplink, guestMac: vmMac(t.runId, m.node, 'guest'), tapMac: vmMac(t.runId, m.node, 'tap') };
  if (m.lan && m.hostNamespace) {
    return { ...common, ns: m.hostNamespace, address: m.lan.hostIp, prefixLen: m.lan.prefixLen, gateway: m.lan.routerIp, gatewayMac: m.macs.lan as string };
  }
  return { ...common, ns: m.machineNamespace, address: m.publicIps[0] as string, prefixLen: 32, gateway: t.subnet.gatewayIp, gatewayMac: m.macs.inetPort };
}

/** The guest's own prefix: a NAT'd host keeps its LAN's, a public node sees the lab's /24 (its gateway in it). */
function guestPrefix(t: Topology, m: MachinePlan): number {
  return m.lan ? m.lan.prefixLen : t.subnet.prefixLen;
}

async function eachLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
  return out;
}

async function rssMb(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kb ? Math.round(Number(kb) / 1024) : undefined;
}

async function consoleTail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.replace(new RegExp(String.fromCharCode(27) + '\\[[0-9;?]*[A-Za-z]', 'g'), '').trim().split('\n').slice(-3).join(' | ');
}

export interface LaunchSpec {
  exec: Exec;
  image: VmImage;
  accel: Accel;
  /** Folder of the VM's files (overlay, seed, console, pid). */
  dir: string;
  name: string;
  /** Namespace holding the tap (see attach.ts). */
  ns: string;
  mac: string;
  seed: SeedSpec;
  memoryMb?: number;
}

/** Overlay, seed, qemu daemonized inside the namespace; resolves with its files and pid once qemu runs. */
export async function launchVm(l: LaunchSpec): Promise<{ files: VmFiles; pid?: number; started: number }> {
  const files = vmFiles(l.dir);
  await mkdir(l.dir, { recursive: true, mode: 0o700 });
  await l.exec(overlayArgv(l.image, files.overlay));
  await writeSeed(l.exec, l.dir, l.seed);
  const started = Date.now();
  const argv = qemuArgv({ name: l.name, image: l.image, files, accel: l.accel, tap: TAP, mac: l.mac, ...(l.memoryMb ? { memoryMb: l.memoryMb } : {}) });
  try {
    await l.exec(['ip', 'netns', 'exec', l.ns, ...argv]);
  } catch (err) {
    throw new VmBootError(`${l.name}: qemu did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
  const pid = Number((await readFile(files.pidFile, 'utf8').catch(() => '')).trim()) || undefined;
  return { files, started, ...(pid ? { pid } : {}) };
}

export class VmMachines implements LabMachineHook {
  readonly boots: VmBoot[] = [];

  constructor(private readonly options: VmMachinesOptions) {}

  steps(t: Topology, m: MachinePlan) {
    return attachSteps(attachmentOf(t, m));
  }

  async start(ctx: MachineStartContext): Promise<Map<string, { workdir: string }>> {
    const { topology: t, exec } = ctx;
    const o = this.options;
    ctx.progress(`vm: ${ctx.machines.length} machine(s) (${ctx.machines.map((m) => m.node).join(', ')}), ${o.accel.kind}: ${o.accel.reason}`);
    const boots = await eachLimited(ctx.machines, o.parallel ?? 3, async (m) => {
      const a = attachmentOf(t, m);
      const userData = o.userData?.(m.node);
      const { files, pid, started } = await launchVm({
        exec,
        image: o.image,
        accel: o.accel,
        dir: vmDir(t.labRoot, m.node),
        name: `vt${t.runId}-${m.node}`,
        ns: a.ns,
        mac: a.guestMac,
        ...(o.memoryMb ? { memoryMb: o.memoryMb } : {}),
        seed: {
          instanceId: `vt${t.runId}-${m.node}`,
          hostname: m.node.replace(/[^A-Za-z0-9-]/g, '-'),
          hostKey: { private: await readFile(m.sshd.hostKeyPath, 'utf8'), public: (await readFile(`${m.sshd.hostKeyPath}.pub`, 'utf8')).trim() },
          clientKeys: [ctx.clientKey],
          workdir: guestWorkdir(m.node),
          network: { mac: a.guestMac, address: `${a.address}/${guestPrefix(t, m)}`, gateway: a.gateway },
          ...(m.impair ? { impair: m.impair } : {}),
          ...(userData !== undefined ? { userData } : {}),
        },
      });
      const deadline = started + (o.bootTimeoutMs ?? 1_200_000);
      const host = m.publicIps[0] as string;
      let bannerMs: number;
      try {
        bannerMs = await waitForSsh(host, 22, { timeoutMs: deadline - Date.now(), what: `VM node "${m.node}"`, aborted: ctx.aborted });
        const ci = await waitForCloudInit(exec, { host, clientKeyPath: t.clientKeyPath, knownHostsPath: t.knownHostsPath }, { deadline, aborted: ctx.aborted });
        if (ci.status !== 'done') {
          throw new Error(`cloud-init ${ci.status}: ${ci.errors.join('; ') || 'no message'}`);
        }
      } catch (err) {
        if (ctx.aborted()) throw err;
        const tail = await consoleTail(files.console);
        throw new VmBootError(`node "${m.node}" (VM): ${err instanceof Error ? err.message : String(err)}${tail ? ` (console ${files.console}: ${tail})` : ''}`);
      }
      const boot: VmBoot = { node: m.node, bannerMs, readyMs: Date.now() - started, ...(pid ? { pid } : {}) };
      const rss = pid ? await rssMb(pid) : undefined;
      if (rss !== undefined) boot.rssMb = rss;
      ctx.progress(`vm ${m.node}: verified SSH after ${(bannerMs / 1000).toFixed(1)} s, cloud-init done after ${(boot.readyMs / 1000).toFixed(1)} s${rss !== undefined ? `, qemu ${rss} MiB` : ''}`);
      return boot;
    });
    this.boots.push(...boots);
    return new Map(ctx.machines.map((m) => [m.node, { workdir: guestWorkdir(m.node) }]));
  }

  cleanup(labRoot: string): Promise<void> {
    return removeVmFiles(labRoot);
  }
}

/**
 * Everything of the run's VMs but their console logs (evidence): overlays, seeds (they hold the
 * host private keys), pid files. Call after the lab's processes were killed. Idempotent.
 */
export async function removeVmFiles(labRoot: string): Promise<void> {
  const root = path.join(labRoot, 'vm');
  const nodes = await readdir(root).catch(() => [] as string[]);
  await Promise.all(
    nodes.map(async (node) => {
      const dir = path.join(root, node);
      const entries = await readdir(dir).catch(() => [] as string[]);
      await Promise.all(entries.filter((e) => e !== 'console.log').map((e) => rm(path.join(dir, e), { recursive: true, force: true })));
    }),
  );
}
