// Which config a command uses: the path given, else ./.vps-test.yml, else (for commands that can
// run without one) the bundled default example, the lab NAT matrix.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../package-root.js';

export const DEFAULT_CONFIG_NAME = '.vps-test.yml';
export const DEFAULT_EXAMPLE = 'examples/lab-nat-matrix.yml';

export function findConfig(given: string | undefined, { allowDefaultExample }: { allowDefaultExample: boolean }): { path: string; isDefaultExample: boolean } {
  if (given) return { path: resolve(given), isDefaultExample: false };
  const local = resolve(DEFAULT_CONFIG_NAME);
  if (existsSync(local) || !allowDefaultExample) return { path: local, isDefaultExample: false };
  return { path: join(packageRoot(), DEFAULT_EXAMPLE), isDefaultExample: true };
}
