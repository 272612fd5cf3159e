// Streams one or more JSONL sources (files or Readables) into an Aggregator.
import type { Readable } from 'node:stream';
import { Aggregator } from './aggregate.js';
import { readEventBatches } from './reader.js';

export type EventSource = string | { stream: Readable; source: string };

export async function aggregateSources(sources: readonly EventSource[], agg: Aggregator = new Aggregator()): Promise<Aggregator> {
  for (const src of sources) {
    const batches = typeof src === 'string' ? readEventBatches(src) : readEventBatches(src.stream, { source: src.source });
    for await (const batch of batches) for (const item of batch) agg.addItem(item);
  }
  return agg;
}
