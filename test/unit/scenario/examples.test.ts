// The scenario examples load, and the sha256 each pins is the subject program's (a stale hash
// would only show as a build failure on the lab).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';

const EXAMPLES = ['cluster-exec.yml', 'broken/cluster-exec-self.yml', 'rpc-failover.yml', 'broken/rpc-no-failover.yml', 'udp-vs-tcp.yml', 'metrics.yml'];

describe('scenario examples', () => {
  it.each(EXAMPLES)('%s loads and pins its subject by sha256', async (file) => {
    const path = join('examples', file);
    const { config } = await loadConfig(path);
    const prebuilt = config.build.prebuilt as { path: string; sha256: string };
    const bytes = readFileSync(join(dirname(path), prebuilt.path));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(prebuilt.sha256);
    expect(bytes.subarray(0, 2).toString()).toBe('#!');
    expect(Object.keys(config.tests.scenarios)).toHaveLength(1);
  });
});
