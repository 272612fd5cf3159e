// Reading metrics.jsonl back (the evaluate stage runs from the run folder, maybe in another process).
import { readFile } from 'node:fs/promises';
import type { MetricScrape } from './scrape.js';

export async function readMetricScrapes(path: string): Promise<MetricScrape[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      const v = JSON.parse(l) as MetricScrape;
      if (typeof v.node !== 'string' || typeof v.ok !== 'boolean' || !Array.isArray(v.samples)) throw new Error(`${path}:${i + 1}: not a metric scrape record`);
      return v;
    });
}
