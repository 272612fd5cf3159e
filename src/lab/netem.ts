// Does this kernel have sch_netem? Asked once per process by adding a netem qdisc in a
// scratch namespace (never on a real interface). Named like a lab (`vt<id>-inet`) so that, if
// we die within those milliseconds, `vps-test down` / listLabs still finds and removes it.
import { randomBytes } from 'node:crypto';
import type { Exec } from './exec.js';
import { inetNamespace } from './names.js';

let cached: Promise<boolean> | undefined;

export function hasNetem(exec: Exec): Promise<boolean> {
  cached ??= probe(exec).catch((err: unknown) => {
    cached = undefined; // a failed probe (not a missing netem) is not cached
    throw err;
  });
  return cached;
}

async function probe(exec: Exec): Promise<boolean> {
  const ns = inetNamespace(`netemprobe${randomBytes(4).toString('hex')}`);
  await exec(['ip', 'netns', 'add', ns]);
  try {
    await exec(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    const result = await exec(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], {
      allowFailure: true,
    });
    return result.code === 0;
  } finally {
    await exec(['ip', 'netns', 'del', ns], { allowFailure: true });
  }
}

/** For tests: forget the cached answer. */
export function resetNetemCache(): void {
  cached = undefined;
}
