// The provider registry: the one place that turns a provider name into a Provider, so the
// pipeline and the commands (run, up, down, status) never reach into a provider's module.
// DigitalOcean and inventory land in their own issues (a `case` each); until then they are
// refused before anything is built.
import type { Provider, RunResources } from './types.js';
import { LocalProvider } from './local.js';
import { DigitalOceanProvider } from './digitalocean/provider.js';

export type { Provider, RunResources, Fleet, FleetNode, RunContext } from './types.js';

/** Providers this build knows, in the order `status` and `down --all` ask them. */
export const PROVIDER_NAMES = ['local'] as const;

export function providerFor(name: string): Provider {
  switch (name) {
    case 'local':
      return new LocalProvider({ handleSignals: false });
    case 'digitalocean':
      return new DigitalOceanProvider();
    default:
      throw new Error(`provider '${name}' is not available in this version yet (available: ${PROVIDER_NAMES.join(', ')})`);
  }
}

/**
 * What every known provider has up on this machine or account, by run id: for `status` and
 * `down --all`. A provider that can't be asked (no root, no token) is reported, not fatal.
 */
export async function listAllResources(filter?: { runId?: string }): Promise<{ resources: RunResources[]; problems: string[] }> {
  const resources: RunResources[] = [];
  const problems: string[] = [];
  for (const name of PROVIDER_NAMES) {
    try {
      resources.push(...(await providerFor(name).list(filter)));
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  return { resources, problems };
}
