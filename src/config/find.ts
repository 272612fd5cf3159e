// Which config a command uses: the path given, else ./.vps-test.yml, else (for commands that can
// run without one) the bundled default example, the lab NAT matrix.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_CONFIG_NAME = '.vps-test.yml';
export const DEFAULT_EXAMPLE = 'examples/lab-nat-matrix.yml';

/** The directory of vps-test's own package.json (works from src/ under tsx and from dist/). */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vps-test') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find vps-test's package.json above ${from}`);
    dir = parent;
  }
}

export function findConfig(given: string | undefined, { allowDefaultExample }: { allowDefaultExample: boolean }): { path: string; isDefaultExample: boolean } {
  if (given) return { path: resolve(given), isDefaultExample: false };
  const local = resolve(DEFAULT_CONFIG_NAME);
  if (existsSync(local) || !allowDefaultExample) return { path: local, isDefaultExample: false };
  return { path: join(packageRoot(), DEFAULT_EXAMPLE), isDefaultExample: true };
}
