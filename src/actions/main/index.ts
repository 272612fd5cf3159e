// Entry point of the root action's main step (action.yml runs.main).
import { rootMain } from '../common/root.js';

await rootMain();
