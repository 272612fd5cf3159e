// The results engine: read events, aggregate, evaluate. One import point for other stages.
export type { ResultEvent, AttemptEvent, ThroughputEvent, GossipEvent, MetricEvent } from './events.js';
export { expectedPath, categoryOf, pairCategory, pathAtLeast, CATEGORIES, type Category } from './oracle.js';
export { readEvents, readEventBatches, ResultsReadError, type MalformedLine, type ReadItem, type ReadOptions } from './reader.js';
export { checkLine, checkEvent, type LineCheck } from './validate.js';
export { Aggregator, selfPairReason, type PairStats } from './aggregate.js';
export { aggregateSources, type EventSource } from './collect.js';
export { wilson, percentile, percentileSorted, round, Z95, type Interval } from './stats.js';
export { BoundedQuantiles } from './quantiles.js';
export { evaluate, judgeCategory, soakCheckpointOf, DEFAULT_MIN_ATTEMPTS, type EvaluateInput } from './evaluate.js';
export { pairContributions, type Contribution } from './contributions.js';
export * from './schema.js';
export { scenarioResultsPath, readScenarioSteps, summarizeScenarios, diagnoseProtocols, SCENARIO_RESULTS_FILE, type ScenarioStepResult, type ScenarioResult } from './scenario.js';
export * from './load.js';
