// Collects result event lines from every node into results.jsonl, exactly as the nodes printed
// them (the results reader validates and counts malformed lines later; nothing is dropped here).
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

export class EventSink {
  private readonly out: WriteStream;
  lines = 0;

  constructor(readonly path: string) {
    this.out = createWriteStream(path, { flags: 'a' });
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
    this.out.end();
    await once(this.out, 'finish');
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
