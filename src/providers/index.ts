// Provider by name. DigitalOcean and inventory land in their own issues; until then they are
// refused before anything is built.
import type { Provider } from './types.js';
import { LocalProvider } from './local.js';
import { DigitalOceanProvider } from './digitalocean/provider.js';
import { InventoryProvider } from './inventory/provider.js';

export function providerFor(name: string): Provider {
  switch (name) {
    case 'local':
      return new LocalProvider({ handleSignals: false });
    case 'digitalocean':
      return new DigitalOceanProvider();
    case 'inventory':
      return new InventoryProvider();
    default:
      throw new Error(`provider '${name}' is not available in this version yet (available: local, digitalocean, inventory)`);
  }
}
