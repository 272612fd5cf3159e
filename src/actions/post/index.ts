// Entry point of the root action's post step (action.yml runs.post).
import { rootPost } from '../common/post.js';

await rootPost();
