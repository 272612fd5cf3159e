// Scraping each node's Prometheus endpoint through its SSH connection: curl (or wget) runs AS
// the node, against 127.0.0.1 inside its own namespace, so no port is opened to the world. The
// raw exposition is kept in the run folder as evidence; samples go to metrics.jsonl.
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FleetNode } from '../fleet/types.js';
import type { ExecResult } from '../ssh/index.js';
import { shellQuote } from '../ssh/index.js';
import { parseExposition, type Sample } from './parse.js';

export const METRICS_RESULTS_FILE = 'metrics.jsonl';

export function metricsResultsPath(runDir: string): string {
  return join(runDir, METRICS_RESULTS_FILE);
}

export interface MetricScrape {
  checkpoint: string;
  node: string;
  at: string;
  url: string;
  ok: boolean;
  error?: string;
  samples: Sample[];
  /** the raw exposition, relative to the run folder */
  evidence?: string;
}

export interface Endpoint {
  port: number;
  path: string;
}

type Exec = (node: FleetNode, command: string, options: { asNode: boolean; timeoutMs: number }) => Promise<ExecResult>;

const SCRAPE_TIMEOUT_S = 5;

/** Shell that prints the body, then a last line with the HTTP status. */
export function renderScrapeCommand(url: string): string {
  const q = shellQuote(url);
  return [
    `if command -v curl >/dev/null 2>&1; then curl -sS -m ${SCRAPE_TIMEOUT_S} -o - -w '\\n%{http_code}' ${q};`,
    `elif command -v wget >/dev/null 2>&1; then wget -q -T ${SCRAPE_TIMEOUT_S} -O - ${q} && printf '\\n200';`,
    `else echo 'neither curl nor wget on the node' >&2; exit 127; fi`,
  ].join(' ');
}

/** One node: the samples, or why there are none. Never throws for a node-side problem. */
export async function scrapeNode(exec: Exec, node: FleetNode, endpoint: Endpoint, checkpoint: string, now: () => Date = () => new Date()): Promise<{ scrape: MetricScrape; raw?: string }> {
  const url = `http://127.0.0.1:${endpoint.port}${endpoint.path}`;
  const base = { checkpoint, node: node.name, at: now().toISOString(), url, samples: [] as Sample[] };
  let r: ExecResult;
  try {
    r = await exec(node, renderScrapeCommand(url), { asNode: true, timeoutMs: (SCRAPE_TIMEOUT_S + 5) * 1000 });
  } catch (err) {
    return { scrape: { ...base, ok: false, error: `node unreachable: ${(err as Error).message}` } };
  }
  const at = r.stdout.lastIndexOf('\n');
  const status = Number(r.stdout.slice(at + 1).trim());
  if (r.code !== 0 || !Number.isInteger(status) || status === 0) {
    return { scrape: { ...base, ok: false, error: `exporter did not answer at ${url}: ${r.stderr.trim().split('\n').pop() || `exit ${r.code}`}` } };
  }
  const body = at >= 0 ? r.stdout.slice(0, at) : '';
  if (status !== 200) return { scrape: { ...base, ok: false, error: `exporter at ${url} answered HTTP ${status}` }, raw: body };
  try {
    return { scrape: { ...base, ok: true, samples: parseExposition(body) }, raw: body };
  } catch (err) {
    return { scrape: { ...base, ok: false, error: `exporter at ${url}: ${(err as Error).message}` }, raw: body };
  }
}

/** Every node in parallel; raw expositions to metrics/<checkpoint>/<node>.prom, records to metrics.jsonl. */
export async function scrapeFleet(exec: Exec, nodes: readonly FleetNode[], endpoint: Endpoint, checkpoint: string, runDir: string): Promise<MetricScrape[]> {
  const dir = join(runDir, 'metrics', checkpoint);
  await mkdir(dir, { recursive: true });
  const scrapes = await Promise.all(
    nodes.map(async (node) => {
      const { scrape, raw } = await scrapeNode(exec, node, endpoint, checkpoint);
      if (raw !== undefined) {
        await writeFile(join(dir, `${node.name}.prom`), raw);
        scrape.evidence = join('metrics', checkpoint, `${node.name}.prom`);
      }
      return scrape;
    }),
  );
  await appendFile(metricsResultsPath(runDir), scrapes.map((s) => `${JSON.stringify(s)}\n`).join(''));
  return scrapes;
}
