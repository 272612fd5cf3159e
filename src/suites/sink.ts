// Collects result event lines from every node into results.jsonl, exactly as the nodes printed
// them (the results reader validates and counts malformed lines later; nothing is dropped here).
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

export class EventSink {
  private readonly out: WriteStream;
  lines = 0;
  /** The first write error (ENOSPC, EACCES): kept, not thrown from an event, so the run can tear down. */
  error: Error | undefined;

  constructor(readonly path: string) {
    this.out = createWriteStream(path, { flags: 'a' });
    this.out.on('error', (err) => (this.error ??= err));
  }

  /** Splits streamed output into lines; blank lines are ignored, partial lines are kept until complete. */
  lineSplitter(onLine: (line: string) => void = (l) => this.write(l)): LineSplitter {
    return lineSplitter(onLine);
  }

  write(line: string): void {
    this.lines++;
    this.out.write(`${line}\n`);
  }

  writeEvent(event: object): void {
    this.write(JSON.stringify(event));
  }

  async close(): Promise<void> {
    if (!this.out.destroyed) {
      this.out.end();
      await Promise.race([once(this.out, 'finish'), once(this.out, 'close')]).catch(() => undefined);
    }
    if (this.error) throw new Error(`cannot write ${this.path}: ${this.error.message}`);
  }
}

export interface LineSplitter {
  push(chunk: string): void;
  end(): void;
}

export function lineSplitter(onLine: (line: string) => void): LineSplitter {
  let buffered = '';
  return {
    push: (chunk) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) onLine(line);
      }
    },
    end: () => {
      const line = buffered.trim();
      buffered = '';
      if (line) onLine(line);
    },
  };
}
