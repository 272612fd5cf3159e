// Streaming reader of result events (JSONL) from a file path or any Readable (e.g. a child's
// stdout). Memory is O(1) in the number of lines: chunks are split into lines as they arrive and
// only the unfinished tail of the last chunk is kept (capped, so a newline-free flood cannot grow it).
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { ResultEvent } from './events.js';
import { checkStoredLine } from './validate.js';
import type { GateRecord } from './gate-records.js';

export interface MalformedLine {
  source: string;
  line: number;
  reason: string;
}

export type ReadItem =
  | { ok: true; event: ResultEvent | GateRecord; source: string; line: number }
  | { ok: false; malformed: MalformedLine };

export interface ReadOptions {
  /** Name used in malformed-line reports; default: the path, or "stream". */
  source?: string;
  /** Longest accepted line in characters; longer lines are malformed. Default 1 MiB. */
  maxLineLength?: number;
}

export class ResultsReadError extends Error {
  override name = 'ResultsReadError';
}

function openInput(input: string | Readable, source: string): Readable {
  if (typeof input !== 'string') return input;
  const stream = createReadStream(input, { encoding: 'utf8', highWaterMark: 1 << 16 });
  // Translate the common failure into a message that names the file.
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') err.message = `results file not found: ${source}`;
    else if (err.code === 'EISDIR') err.message = `results path is a directory, expected a JSONL file: ${source}`;
  });
  return stream;
}

/**
 * Yields validated items in batches (one batch per chunk read). The batch form lets the hot
 * path avoid one promise per line; `readEvents` below flattens it for convenience.
 */
export async function* readEventBatches(input: string | Readable, options: ReadOptions = {}): AsyncGenerator<ReadItem[]> {
  const source = options.source ?? (typeof input === 'string' ? input : 'stream');
  const maxLen = options.maxLineLength ?? 1 << 20;
  const stream = openInput(input, source);
  // Decode Buffers ourselves: a multi-byte character split across chunks must stay whole, and a
  // caller's stream may be in object mode (where setEncoding does nothing).
  const decoder = new StringDecoder('utf8');
  let tail = '';
  let lineNo = 0;
  let overlong = false; // inside a line that already exceeded maxLen: skip to its newline

  const take = (text: string, batch: ReadItem[]): void => {
    lineNo++;
    if (overlong) {
      overlong = false;
      batch.push({ ok: false, malformed: { source, line: lineNo, reason: `line longer than ${maxLen} characters` } });
      return;
    }
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (line.length > maxLen) {
      batch.push({ ok: false, malformed: { source, line: lineNo, reason: `line longer than ${maxLen} characters` } });
      return;
    }
    if (line.trim() === '') return;
    const checked = checkStoredLine(line);
    if (checked.ok) batch.push({ ok: true, event: checked.event, source, line: lineNo });
    else batch.push({ ok: false, malformed: { source, line: lineNo, reason: checked.reason } });
  };

  try {
    for await (const chunk of stream) {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? decoder.write(chunk as Buffer) : String(chunk);
      const batch: ReadItem[] = [];
      let start = 0;
      let nl = text.indexOf('\n');
      while (nl !== -1) {
        const piece = text.slice(start, nl);
        take(tail ? tail + piece : piece, batch);
        tail = '';
        start = nl + 1;
        nl = text.indexOf('\n', start);
      }
      if (!overlong) {
        tail += text.slice(start);
        if (tail.length > maxLen) {
          overlong = true;
          tail = '';
        }
      }
      if (batch.length) yield batch;
    }
  } catch (err) {
    throw new ResultsReadError((err as Error).message);
  }
  tail += decoder.end();
  if (tail !== '' || overlong) {
    const batch: ReadItem[] = [];
    take(tail, batch);
    if (batch.length) yield batch;
  }
}

/** Async-iterates validated events and malformed lines, one item per non-blank line. */
export async function* readEvents(input: string | Readable, options: ReadOptions = {}): AsyncGenerator<ReadItem> {
  for await (const batch of readEventBatches(input, options)) yield* batch;
}
