// The provider registry: the one place that turns a provider name into a Provider, so the
// pipeline and the commands (run, up, down, status) never reach into a provider's module.
import type { Provider, RunResources } from './types.js';
import { LocalProvider } from './local.js';
import { DigitalOceanProvider } from './digitalocean/provider.js';
import { InventoryProvider } from './inventory/provider.js';

export type { Provider, RunResources, CloudMachine, Fleet, FleetNode, RunContext, TrialOps } from './types.js';

/**
 * The providers to ask: the lab always; DigitalOcean when a token is set or a run of this user is
 * there (then a missing token is reported, not skipped). Inventory hosts are the user's own: their
 * runs are found through their run folders.
 */
export function providersToList(env: NodeJS.ProcessEnv = process.env, runProviders: readonly string[] = []): string[] {
  return ['local', ...(env.DIGITALOCEAN_TOKEN?.trim() || runProviders.includes('digitalocean') ? ['digitalocean'] : [])];
}

export function providerFor(name: string): Provider {
  switch (name) {
    case 'local':
      return new LocalProvider({ handleSignals: false });
    case 'digitalocean':
      return new DigitalOceanProvider();
    case 'inventory':
      return new InventoryProvider();
    default:
      throw new Error(`unknown provider '${name}' (available: local, digitalocean, inventory)`);
  }
}

/**
 * What every known provider has up on this machine or account, by run id: for `status` and
 * `down --all`. A provider that can't be asked (no root, no token) is reported, not fatal.
 */
export async function listAllResources(filter?: { runId?: string }, providers: readonly string[] = providersToList()): Promise<{ resources: RunResources[]; problems: string[] }> {
  const resources: RunResources[] = [];
  const problems: string[] = [];
  for (const name of providers) {
    try {
      resources.push(...(await providerFor(name).list(filter)));
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  return { resources, problems };
}
