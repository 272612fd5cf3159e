// Reads just enough of an ELF header to check an artifact before it ships: which machine it is
// for and whether it is static (no PT_INTERP program header, i.e. no dynamic loader needed).
import { open } from 'node:fs/promises';
import { BuildError } from './exec.js';

export interface ElfInfo {
  bits: 32 | 64;
  /** Known machines by our arch names; others as "machine-<number>". */
  machine: string;
  /** True when there is no program interpreter (fully static). */
  static: boolean;
  /** The requested dynamic loader, e.g. /lib64/ld-linux-x86-64.so.2. */
  interpreter?: string;
}

const MACHINES: Record<number, string> = { 3: 'x86', 40: 'arm', 62: 'x86_64', 183: 'aarch64', 243: 'riscv64' };
const PT_INTERP = 3;

/** Parses an ELF image (little-endian, as every target we build). Pure. */
export function parseElf(bytes: Buffer, what = 'file'): ElfInfo {
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46) throw new BuildError(`${what} is not an ELF binary`);
  const bits = bytes[4] === 2 ? 64 : 32;
  if (bytes[5] !== 1) throw new BuildError(`${what}: big-endian ELF is not supported`);
  const machineNumber = bytes.readUInt16LE(18);
  const phoff = bits === 64 ? Number(bytes.readBigUInt64LE(32)) : bytes.readUInt32LE(28);
  const phentsize = bytes.readUInt16LE(bits === 64 ? 54 : 42);
  const phnum = bytes.readUInt16LE(bits === 64 ? 56 : 44);
  let interpreter: string | undefined;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + phentsize > bytes.length) break;
    if (bytes.readUInt32LE(at) !== PT_INTERP) continue;
    const offset = bits === 64 ? Number(bytes.readBigUInt64LE(at + 8)) : bytes.readUInt32LE(at + 4);
    const size = bits === 64 ? Number(bytes.readBigUInt64LE(at + 32)) : bytes.readUInt32LE(at + 16);
    interpreter = bytes.subarray(offset, offset + size).toString('latin1').replace(/\0+$/, '');
  }
  return {
    bits,
    machine: MACHINES[machineNumber] ?? `machine-${machineNumber}`,
    static: interpreter === undefined,
    ...(interpreter !== undefined ? { interpreter } : {}),
  };
}

/** Reads the headers of an ELF file (the first 64 KiB hold them for any binary we build). */
export async function inspectElf(path: string): Promise<ElfInfo> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    return parseElf(buffer.subarray(0, bytesRead), path);
  } finally {
    await file.close();
  }
}
