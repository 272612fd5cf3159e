// A rough, explained estimate of node-minutes and (cloud) cost, shown before anything costs money.
import type { Config } from '../config/schema.js';
import type { Plan } from './types.js';

/** USD per hour for common DigitalOcean sizes (public price list; unknown sizes give no cost). */
export const DO_HOURLY_USD: Record<string, number> = {
  's-1vcpu-512mb-10gb': 0.00595,
  's-1vcpu-1gb': 0.00893,
  's-1vcpu-2gb': 0.01786,
  's-2vcpu-2gb': 0.02679,
  's-2vcpu-4gb': 0.03571,
  's-4vcpu-8gb': 0.07143,
};

/** Seconds a round of pair probes takes, all pairs at once, plus the flush between rounds. */
const SECONDS_PER_ROUND = 4;
const SETUP_MINUTES = { local: 0.5, inventory: 1, digitalocean: 3 } as const;

export function estimate(plan: Plan, config: Config): Plan['estimate'] {
  let seconds = 0;
  for (const suite of plan.suites) {
    if (suite.pairs.length) seconds += suite.trials * SECONDS_PER_ROUND;
    else if (suite.name === 'throughput') seconds += (plan.throughput?.seconds ?? 10) * 2;
    else seconds += 30;
  }
  const checkpoints = config.soak?.checkpoints ?? [];
  const soakMinutes = checkpoints.length ? Math.max(...checkpoints) / 60_000 : 0;
  const minutesPerNode = SETUP_MINUTES[plan.provider] + seconds / 60 * (1 + checkpoints.length) + soakMinutes;
  const nodeMinutes = Math.ceil(minutesPerNode * plan.nodes.length);
  if (plan.provider !== 'digitalocean') return { nodeMinutes };
  // nodes may override the fleet's size; the provider prices it again from the sizes endpoint
  const fleetSize = config.fleet.digitalocean?.size ?? 's-1vcpu-1gb';
  const hourly = plan.nodes.map((n) => DO_HOURLY_USD[n.size ?? fleetSize]);
  if (hourly.some((h) => h === undefined)) return { nodeMinutes };
  const usd = (hourly as number[]).reduce((sum, h) => sum + h * (minutesPerNode / 60), 0);
  return { nodeMinutes, costUsd: Math.round(usd * 100) / 100 };
}
