// The artifact's bytes on their way to the nodes: compressed ONCE, as a stream, and fanned out
// to every node while it is still being produced (compression overlaps the transfer).
// zstd (the CLI) when the controller and the node have it: it decompresses ~5x faster than
// gunzip, which matters when the node's CPU is the bottleneck. Otherwise gzip (zlib).
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';

export type Encoding = 'zstd' | 'gzip' | 'raw';

/** How the node turns the stream back into the file (reads stdin, writes stdout). */
export const DECODERS: Record<Encoding, string> = {
  zstd: 'zstd -d -q -c',
  gzip: 'gunzip -c',
  raw: 'cat',
};

/** A stream produced once and read by many: every reader gets all bytes from the start. */
export class SharedStream {
  private readonly chunks: Buffer[] = [];
  private ended = false;
  private failure: Error | undefined;
  private readonly wakeups = new Set<() => void>();
  private bytes = 0;
  readonly done: Promise<number>;

  constructor(source: Readable) {
    this.done = new Promise((resolve, reject) => {
      source.on('data', (chunk: Buffer) => {
        this.chunks.push(chunk);
        this.bytes += chunk.length;
        this.wake();
      });
      source.on('end', () => {
        this.ended = true;
        this.wake();
        resolve(this.bytes);
      });
      source.on('error', (err: Error) => {
        this.failure = err;
        this.wake();
        reject(err);
      });
    });
    this.done.catch(() => undefined); // readers see the error; nobody has to await `done`
  }

  /** Total size once the source ended. */
  get size(): number {
    return this.bytes;
  }

  reader(): Readable {
    let next = 0;
    const { chunks, wakeups } = this;
    const state = () => ({ failure: this.failure, ended: this.ended });
    return new Readable({
      read() {
        const pump = () => {
          const { failure, ended } = state();
          if (failure) return this.destroy(failure);
          if (next < chunks.length) return void this.push(chunks[next++]);
          if (ended) return void this.push(null);
          wakeups.add(pump);
        };
        pump();
      },
    });
  }

  private wake(): void {
    const pending = [...this.wakeups];
    this.wakeups.clear();
    for (const fn of pending) fn();
  }
}

/**
 * zstd -3 on all cores, reading the file itself; the stream errors if zstd fails. Level 3: for
 * a 32 MiB binary -1 gives 9.2 MB for 0.08 s of CPU, -3 8.1 MB for 0.12 s, -6 7.5 MB for 0.32 s.
 * On the 2-core lab -1 and -6 were no faster end to end than -3 (the nodes' decode, write and
 * hash dominate), and on a real uplink shared by all nodes fewer bytes matter more.
 */
function zstdSource(path: string): Readable {
  const child = spawn('zstd', ['-3', '-T0', '-q', '-c', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const out = new Readable({ read() {} });
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.on('error', (err) => out.destroy(new Error(`zstd: ${err.message}`)));
  child.on('close', (code) => (code === 0 ? out.push(null) : out.destroy(new Error(`zstd exited ${code} compressing ${path}: ${stderr.trim()}`))));
  return out;
}

export function encodeFile(path: string, encoding: Encoding): SharedStream {
  if (encoding === 'zstd') return new SharedStream(zstdSource(path));
  const file = createReadStream(path, { highWaterMark: 1024 * 1024 });
  if (encoding === 'raw') return new SharedStream(file);
  // level 1: on fast links the CPU, not the bytes, is the bottleneck
  const gz = createGzip({ level: 1, chunkSize: 256 * 1024 });
  file.on('error', (err) => gz.destroy(err));
  return new SharedStream(file.pipe(gz));
}

let localZstd: Promise<boolean> | undefined;

/** Whether the controller has a working zstd CLI (checked once). */
export function hasLocalZstd(): Promise<boolean> {
  localZstd ??= new Promise((resolve) => {
    const child = spawn('zstd', ['--version'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
  return localZstd;
}
