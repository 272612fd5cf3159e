// The provider's view in `vps-test status` (pure): age and cost so far per machine (hourly price
// x age), totals per run, runs of no registry entry marked as leaks, keys-only runs shown.
import { describe, expect, it } from 'vitest';
import { cloudView, renderCloudView } from '../../../src/run/status.js';

const now = Date.parse('2026-12-02T12:00:00Z');
const machine = (name: string, createdAt: string, hourlyUsd?: number) => ({ id: name.length.toString(), name, status: 'active', region: 'nyc3', size: 's-1vcpu-1gb', createdAt, expiresAt: Date.parse('2026-12-02T13:00:00Z'), ...(hourlyUsd !== undefined ? { hourlyUsd } : {}) });

describe('cloud view', () => {
  const view = cloudView(
    [
      { runId: 'mine', provider: 'digitalocean', resources: ['droplet:1:a', 'ssh_key:9:vps-test-mine-expires-1'], machines: [machine('a', '2026-12-02T10:00:00Z', 0.01), machine('b', '2026-12-02T11:30:00Z', 0.02)], expiresAt: Date.parse('2026-12-02T13:00:00Z') },
      { runId: 'leak', provider: 'digitalocean', resources: ['ssh_key:8:vps-test-leak-expires-1'], machines: [], expiresAt: Date.parse('2026-12-02T11:00:00Z') },
      { runId: 'lab1', provider: 'local', resources: ['vtlab1-inet'] },
    ],
    new Set(['mine']),
    now,
  );

  it('costs each machine by its age and sums per run; labs are not billed machines', () => {
    expect(view.map((v) => v.runId)).toEqual(['leak', 'mine']);
    const mine = view[1];
    expect(mine?.machines.map((m) => [m.ageSeconds, m.costUsd])).toEqual([[7200, 0.02], [1800, 0.01]]);
    expect(mine).toMatchObject({ known: true, hourlyUsd: 0.03, other: ['ssh_key:9:vps-test-mine-expires-1'] });
    expect(mine?.costUsd).toBeCloseTo(0.03, 12);
  });

  it('renders the table with leaks marked and a keys-only run with its expiry', () => {
    const text = renderCloudView(view, now);
    expect(text).toMatch(/^digitalocean: 2 machines of 2 runs, \$0\.0300\/h, \$0\.0300 so far/);
    expect(text).toMatch(/mine +a +1 +active +nyc3 +s-1vcpu-1gb +2\.0h +\$0\.0200 +2026-12-02T13:00:00\.000Z \(in 60m\)/);
    expect(text).toMatch(/leak\*: ssh key vps-test-leak-expires-1 \(no machines; 2026-12-02T11:00:00\.000Z \(expired 60m ago\)\)/);
    expect(text).toMatch(/vps-test down leak removes it by its tag/);
  });
});
