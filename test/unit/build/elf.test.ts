import { describe, expect, it } from 'vitest';
import { parseElf } from '../../../src/build/elf.js';

/** A minimal 64-bit little-endian ELF header with optional PT_INTERP program header. */
function elf(machine: number, interpreter?: string): Buffer {
  const phoff = 64;
  const phnum = interpreter ? 2 : 1;
  const interpAt = phoff + phnum * 56;
  const buf = Buffer.alloc(interpAt + 64);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = 2; // 64-bit
  buf[5] = 1; // little-endian
  buf.writeUInt16LE(machine, 18);
  buf.writeBigUInt64LE(BigInt(phoff), 32);
  buf.writeUInt16LE(56, 54);
  buf.writeUInt16LE(phnum, 56);
  buf.writeUInt32LE(1, phoff); // PT_LOAD
  if (interpreter) {
    const ph = phoff + 56;
    buf.writeUInt32LE(3, ph); // PT_INTERP
    buf.writeBigUInt64LE(BigInt(interpAt), ph + 8);
    buf.writeBigUInt64LE(BigInt(interpreter.length + 1), ph + 32);
    buf.write(interpreter, interpAt, 'latin1');
  }
  return buf;
}

describe('parseElf', () => {
  it('reads the machine and static linkage', () => {
    expect(parseElf(elf(62))).toEqual({ bits: 64, machine: 'x86_64', static: true });
    expect(parseElf(elf(183, '/lib/ld-linux-aarch64.so.1'))).toEqual({
      bits: 64,
      machine: 'aarch64',
      static: false,
      interpreter: '/lib/ld-linux-aarch64.so.1',
    });
    expect(parseElf(elf(9999)).machine).toBe('machine-9999');
  });
  it('rejects what is not ELF', () => {
    expect(() => parseElf(Buffer.from('#!/bin/sh\n'.padEnd(80)), 'script')).toThrow('script is not an ELF binary');
  });
});
