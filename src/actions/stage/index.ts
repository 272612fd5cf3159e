// Entry point of the stage actions (actions/<stage>/action.yml runs.main).
import { stageMain } from '../common/stage.js';

await stageMain();
