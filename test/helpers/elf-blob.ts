// Binary-like test payloads: real ELF files from /usr/bin back to back (they compress like a
// real binary, unlike random bytes), optionally after a given head (e.g. a runnable program).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export async function elfBlob(size: number, head?: Buffer): Promise<Buffer> {
  const parts: Buffer[] = head ? [head] : [];
  let total = head?.length ?? 0;
  for (const name of (await readdir('/usr/bin')).sort()) {
    if (total >= size) break;
    const data = await readFile(path.join('/usr/bin', name)).catch(() => undefined);
    if (!data || data.subarray(0, 4).toString('latin1') !== '\x7fELF') continue;
    parts.push(data);
    total += data.length;
  }
  if (total < size) throw new Error(`only ${total} bytes of ELF files in /usr/bin`);
  return Buffer.concat(parts).subarray(0, size);
}
