// One VM machine's qemu process (docs/architecture.md, "VM machines"): a copy-on-write overlay
// of the base image, the seed CD, one virtio NIC on the tap inside the node's namespace, the
// serial console to a file. qemu runs inside that namespace (so destroying the lab by run id
// finds and kills it like any of the lab's processes) and daemonizes once its devices are open.
import type { Accel } from './accel.js';
import type { VmImage } from './image.js';

export interface VmFiles {
  overlay: string;
  seedIso: string;
  console: string;
  pidFile: string;
}

export interface QemuSpec {
  name: string;
  image: VmImage;
  files: VmFiles;
  accel: Accel;
  tap: string;
  mac: string;
  memoryMb?: number;
  cpus?: number;
}

/** Guest memory: what a Debian guest with systemd and sshd runs in comfortably. */
export const DEFAULT_MEMORY_MB = 512;

/** TCG's translation cache: qemu's default (1 GiB) would cost that much host memory per VM. */
export const TCG_TB_SIZE_MB = 64;

export function overlayArgv(image: VmImage, overlay: string): string[] {
  return ['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', image.base, overlay];
}

export function qemuArgv(s: QemuSpec): string[] {
  const accel = s.accel.kind === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', `tcg,tb-size=${TCG_TB_SIZE_MB}`, '-cpu', 'max'];
  return [
    'qemu-system-x86_64',
    '-name', s.name,
    '-machine', 'pc',
    ...accel,
    '-smp', String(s.cpus ?? 1),
    '-m', String(s.memoryMb ?? DEFAULT_MEMORY_MB),
    '-nodefaults', '-no-user-config', '-display', 'none',
    '-kernel', s.image.kernel,
    '-initrd', s.image.initrd,
    // net.ifnames=0: the NIC is eth0, as network-config says; panic=-1 turns a panic into an exit
    '-append', 'root=/dev/vda rw console=ttyS0 net.ifnames=0 panic=-1 loglevel=4 systemd.show_status=false mitigations=off',
    '-drive', `file=${s.files.overlay},if=virtio,format=qcow2,cache=unsafe`,
    '-drive', `file=${s.files.seedIso},if=virtio,format=raw,readonly=on`,
    '-netdev', `tap,id=net0,ifname=${s.tap},script=no,downscript=no`,
    '-device', `virtio-net-pci,netdev=net0,mac=${s.mac}`,
    '-device', 'virtio-rng-pci',
    '-serial', `file:${s.files.console}`,
    '-no-reboot',
    '-pidfile', s.files.pidFile,
    '-daemonize',
  ];
}
