// Reading metrics.jsonl back (the evaluate stage runs from the run folder, maybe in another process).
import { readJsonLines } from '../files/jsonl.js';
import type { MetricScrape } from './scrape.js';

export function readMetricScrapes(path: string): Promise<MetricScrape[]> {
  return readJsonLines(path, (value, where) => {
    const v = value as MetricScrape;
    if (typeof v?.node !== 'string' || typeof v.ok !== 'boolean' || !Array.isArray(v.samples)) throw new Error(`${where}: not a metric scrape record`);
    return v;
  });
}
