// Public surface of src/soak: comparing checkpoints and rendering the trend.
export { compareCheckpoints, worsenedPairs, type CheckpointResults, type SoakComparison, type SoakRegression, type TrendRow, type TrendCell } from './compare.js';
export { renderSoakTrend } from './trend.js';
