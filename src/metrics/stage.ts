// The metrics scrape at the end of the test stage (and, with soak, at every checkpoint): the
// configured nodes' endpoints, through the suite context's SSH pool.
import { dirname } from 'node:path';
import type { MetricsConfig } from '../config/metrics.js';
import type { SuiteContext } from '../suites/context.js';
import { scrapeFleet, type MetricScrape } from './scrape.js';

export async function scrapeMetricsStage(ctx: SuiteContext, cfg: MetricsConfig, checkpoint: string): Promise<MetricScrape[]> {
  const nodes = cfg.nodes === 'all' ? ctx.fleet.nodes : ctx.fleet.nodes.filter((n) => (cfg.nodes as string[]).includes(n.name));
  const runDir = dirname(ctx.events.path);
  const scrapes = await scrapeFleet((node, command, o) => ctx.pool.exec(node, command, o), nodes, { port: cfg.port, path: cfg.path }, checkpoint, runDir);
  const down = scrapes.filter((s) => !s.ok);
  ctx.log(`metrics: scraped ${scrapes.length - down.length} of ${scrapes.length} nodes (:${cfg.port}${cfg.path})${down.length ? `; not answering: ${down.map((s) => s.node).join(', ')}` : ''}`);
  return scrapes;
}
