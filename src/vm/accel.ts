// Which accelerator a VM machine gets (docs/architecture.md, "VM machines"): hardware KVM only
// when /dev/kvm really runs a normal guest. A paravirtual KVM (kvm_pvm, this kind of cloud
// host) opens fine and even runs a real-mode probe, yet cannot boot a stock kernel, so the
// module list decides first; then a tiny guest must write to a debug port and exit. Anything
// else is software emulation (TCG), whose cost the plan summary states.
import { access, constants, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Exec } from '../lab/exec.js';
import { VmUnavailableError } from './image.js';

export interface Accel {
  kind: 'kvm' | 'tcg';
  /** Why this accelerator, one sentence (the plan summary and the lab log show it). */
  reason: string;
  /** Software emulation because of this: what hardware KVM lacks here. */
  missing?: string;
}

/** The config's choice (fleet.vm.accel): auto falls back to software emulation, kvm refuses to. */
export type AccelChoice = 'auto' | 'kvm' | 'tcg';

/** The accelerator a choice gets on this machine; kvm without hardware KVM throws, naming what is missing. Pure. */
export function applyAccelChoice(choice: AccelChoice, detected: Accel): Accel {
  if (choice === 'tcg') return { kind: 'tcg', reason: `asked for (fleet.vm.accel: tcg): ${TCG_COST}` };
  if (choice === 'kvm' && detected.kind !== 'kvm') {
    throw new VmUnavailableError(`fleet.vm.accel is kvm, but this machine has no hardware KVM: ${detected.missing ?? detected.reason} (accel: auto falls back to software emulation)`);
  }
  return detected;
}

/** What a software-emulated VM costs here, measured (bench/RESULTS.md, "VM machines"). */
export const TCG_COST = 'software emulation (TCG): about 50-75 s per boot on an idle 2-core machine (minutes on a busy one) and 350-550 MB of host memory per VM, boots in parallel up to 3-4 on 2 cores';

/** Decides from the facts alone. Pure. */
export function chooseAccel(facts: { devKvm: boolean; modules: string[]; probeExit?: number | undefined }): Accel {
  const tcg = (missing: string): Accel => ({ kind: 'tcg', reason: `${missing}: ${TCG_COST}`, missing });
  if (!facts.devKvm) return tcg('/dev/kvm is missing or not usable (no read-write access)');
  const vendor = facts.modules.find((m) => m === 'kvm_intel' || m === 'kvm_amd');
  if (!vendor) {
    return tcg(facts.modules.includes('kvm_pvm') ? '/dev/kvm is kvm_pvm, a paravirtual KVM that only runs specially patched guests' : '/dev/kvm has no kvm_intel/kvm_amd module behind it');
  }
  if (facts.probeExit !== PROBE_EXIT) return tcg(`/dev/kvm (${vendor}) failed to run a probe guest (exit ${facts.probeExit ?? 'none'})`);
  return { kind: 'kvm', reason: `hardware KVM (${vendor})` };
}

/** The probe writes 0x31 to isa-debug-exit, which qemu turns into exit code (0x31 << 1) | 1. */
export const PROBE_EXIT = 99;

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

/** What hardware KVM needs before a guest is tried: a usable /dev/kvm and a vendor module. */
export async function kvmFacts(): Promise<{ devKvm: boolean; modules: string[] }> {
  const devKvm = await access('/dev/kvm', constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
  return { devKvm, modules: await readdir('/sys/module').catch(() => [] as string[]) };
}

async function probe(exec: Exec, qemu: string): Promise<Accel> {
  const { devKvm, modules } = await kvmFacts();
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
