// Which accelerator a VM machine gets (docs/architecture.md, "VM machines"): hardware KVM only
// when /dev/kvm really runs a normal guest. A paravirtual KVM (kvm_pvm, this kind of cloud
// host) opens fine and even runs a real-mode probe, yet cannot boot a stock kernel, so the
// module list decides first; then a tiny guest must write to a debug port and exit. Anything
// else is software emulation (TCG), whose cost the plan summary states.
import { access, constants, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Exec } from '../lab/exec.js';

export interface Accel {
  kind: 'kvm' | 'tcg';
  /** Why this accelerator, one sentence (the plan summary and the lab log show it). */
  reason: string;
}

/** What a software-emulated VM costs here, measured (bench/RESULTS.md, "VM machines"). */
export const TCG_COST = 'software emulation (TCG): about 45-90 s to boot and ~400 MB of host memory per VM, boots in parallel up to 3-4 on 2 cores';

/** Decides from the facts alone. Pure. */
export function chooseAccel(facts: { devKvm: boolean; modules: string[]; probeExit?: number | undefined }): Accel {
  if (!facts.devKvm) return { kind: 'tcg', reason: `/dev/kvm is missing or not usable: ${TCG_COST}` };
  const vendor = facts.modules.find((m) => m === 'kvm_intel' || m === 'kvm_amd');
  if (!vendor) {
    const pvm = facts.modules.includes('kvm_pvm');
    return {
      kind: 'tcg',
      reason: `${pvm ? '/dev/kvm is kvm_pvm, a paravirtual KVM that only runs specially patched guests' : '/dev/kvm has no kvm_intel/kvm_amd behind it'}: ${TCG_COST}`,
    };
  }
  if (facts.probeExit !== PROBE_EXIT) return { kind: 'tcg', reason: `/dev/kvm (${vendor}) failed to run a probe guest (exit ${facts.probeExit ?? 'none'}): ${TCG_COST}` };
  return { kind: 'kvm', reason: `hardware KVM (${vendor})` };
}

/** The probe writes 0x31 to isa-debug-exit, which qemu turns into exit code (0x31 << 1) | 1. */
const PROBE_EXIT = 99;

/** A 64 KiB BIOS whose reset vector is `mov al, 0x31; out 0xf4, al; hlt`. */
export function probeBios(): Buffer {
  const bios = Buffer.alloc(65536);
  Buffer.from([0xb0, 0x31, 0xe6, 0xf4, 0xf4]).copy(bios, 0xfff0);
  return bios;
}

let cached: Promise<Accel> | undefined;

export function detectAccel(exec: Exec, qemu = 'qemu-system-x86_64'): Promise<Accel> {
  cached ??= probe(exec, qemu);
  return cached;
}

async function probe(exec: Exec, qemu: string): Promise<Accel> {
  const devKvm = await access('/dev/kvm', constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
  const modules = await readdir('/sys/module').catch(() => [] as string[]);
  let probeExit: number | undefined;
  if (devKvm && modules.some((m) => m === 'kvm_intel' || m === 'kvm_amd')) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vps-test-kvm-'));
    try {
      await writeFile(path.join(dir, 'bios.bin'), probeBios());
      const argv = [qemu, '-accel', 'kvm', '-machine', 'pc', '-m', '16', '-display', 'none', '-nodefaults', '-no-user-config'];
      argv.push('-bios', path.join(dir, 'bios.bin'), '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04');
      probeExit = (await exec(['timeout', '20', ...argv], { allowFailure: true })).code;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return chooseAccel({ devKvm, modules, probeExit });
}
