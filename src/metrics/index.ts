// Public surface of src/metrics: Prometheus scrapes through SSH, parsing, criteria.
export { parseExposition, type Sample } from './parse.js';
export { scrapeFleet, scrapeNode, renderScrapeCommand, metricsResultsPath, METRICS_RESULTS_FILE, type MetricScrape, type Endpoint } from './scrape.js';
export { judgeCriterion, judgeMetrics, type MetricCriterionResult, type MetricsSection } from './criteria.js';
export { readMetricScrapes } from './read.js';
export { scrapeMetricsStage } from './stage.js';
