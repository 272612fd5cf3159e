// VM machines (docs/architecture.md, "VM machines"): what the local provider needs to put a
// `machine: vm` node in a VM. prepareVms is the plan-time check: it names what is missing.
import type { Exec } from '../lab/exec.js';
import { resolveCommand } from '../lab/preflight.js';
import { applyAccelChoice, chooseAccel, detectAccel, kvmFacts, PROBE_EXIT, type Accel, type AccelChoice } from './accel.js';
import { ensureImage, VmUnavailableError, type VmImage } from './image.js';

export { applyAccelChoice, chooseAccel, detectAccel, TCG_COST, type Accel, type AccelChoice } from './accel.js';
export { ensureImage, findImage, VmUnavailableError, type VmImage } from './image.js';
export { attachmentOf, launchVm, removeVmFiles, vmDir, VmBootError, VmMachines, type LaunchSpec, type VmBoot, type VmMachinesOptions } from './machines.js';
export { attachSteps, vmMac, TAP } from './attach.js';
export { parseCloudInitStatus, type CloudInitStatus } from './ssh-check.js';

/** The commands a VM machine needs on the controller and the Debian package of each. */
export const VM_COMMANDS: Record<string, string> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils',
  xorriso: 'xorriso',
  debootstrap: 'debootstrap',
};

export async function missingVmCommands(resolve: (cmd: string) => Promise<string | undefined> = resolveCommand): Promise<string[]> {
  const missing: string[] = [];
  for (const [cmd, pkg] of Object.entries(VM_COMMANDS)) if (!(await resolve(cmd))) missing.push(`${cmd} (${pkg})`);
  return missing;
}

export interface PrepareOptions {
  /** Default: this process's uid is 0. */
  isRoot?: boolean;
  resolve?: (cmd: string) => Promise<string | undefined>;
  /** The image recipe (default scripts/vm/build-image.sh). */
  script?: string;
  /** fleet.vm.accel (default auto). */
  accel?: AccelChoice;
}

/**
 * Before anything is provisioned: the packages (installed when root), the base image (built
 * once when missing) and the accelerator. Throws VmUnavailableError naming what is missing.
 */
export async function prepareVms(exec: Exec, log: (line: string) => void, options: PrepareOptions = {}): Promise<{ image: VmImage; accel: Accel }> {
  // a required KVM that is not there fails first: before packages are installed or an image is built
  const choice = options.accel ?? 'auto';
  // (the facts only: the probe guest needs qemu, which may not be installed yet)
  if (choice === 'kvm') applyAccelChoice(choice, chooseAccel({ ...(await kvmFacts()), probeExit: PROBE_EXIT }));
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  if (!isRoot) {
    const missing = await missingVmCommands(options.resolve);
    if (missing.length > 0) throw new VmUnavailableError(`VM machines need ${missing.join(', ')}: run \`sudo bash scripts/install-vm-deps.sh\``);
  }
  const image = await ensureImage(log, { isRoot, ...(options.script ? { script: options.script } : {}) });
  const missing = await missingVmCommands(options.resolve);
  if (missing.length > 0) throw new VmUnavailableError(`VM machines need ${missing.join(', ')}, still missing after scripts/install-vm-deps.sh`);
  const accel = applyAccelChoice(choice, choice === 'tcg' ? { kind: 'tcg', reason: '' } : await detectAccel(exec));
  log(`vm: base image ${image.dir}; ${accel.kind === 'kvm' ? accel.reason : `no hardware KVM: ${accel.reason}`}`);
  return { image, accel };
}
