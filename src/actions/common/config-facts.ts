// The two facts the action needs before the run, read from the config's YAML without loading
// it (the CLI validates it and reports problems): the project (baseline key) and the provider
// (whether the lab needs root). A file that does not parse yields nothing; the CLI will say why.
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parse } from 'yaml';

export interface ConfigFacts {
  project: string;
  provider: string;
}

export function configFacts(path: string | undefined, fallbackProject: string): ConfigFacts {
  if (!path) return { project: fallbackProject, provider: 'local' };
  try {
    const doc = parse(readFileSync(path, 'utf8')) as { project?: unknown; fleet?: { provider?: unknown } } | null;
    const project = typeof doc?.project === 'string' && doc.project ? doc.project : basename(dirname(path));
    const provider = typeof doc?.fleet?.provider === 'string' ? doc.fleet.provider : 'local';
    return { project, provider };
  } catch {
    return { project: basename(dirname(path)), provider: 'local' };
  }
}
