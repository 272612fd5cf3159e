import { loadConfig } from '../../config/load.js';
import { findConfig } from '../../config/find.js';
import { parseFlags } from '../args.js';

const HELP = `Usage: vps-test validate [FILE]

Checks a config (default ./.vps-test.yml) against the schema and reports every problem at once
as FILE:LINE:COL: path: message. Exit 0 when valid, 2 otherwise. Nothing is provisioned.`;

export async function validateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {}, 'validate');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const { path } = findConfig(positionals[0], { allowDefaultExample: false });
  const loaded = await loadConfig(path);
  const c = loaded.config;
  const tests = [...Object.keys(c.tests).filter((k) => k !== 'scenarios'), ...Object.keys(c.tests.scenarios).map((s) => `scenario ${s}`)];
  console.log(`${loaded.file}: valid (project ${loaded.project}, ${c.fleet.nodes.length} nodes on ${c.fleet.provider}, tests: ${tests.join(', ') || 'defaults'})`);
  // Said, not silently ignored: these two act only where there is a pull request to comment on.
  const actions = (['pr_comment', 'artifacts'] as const).filter((k) => c.report[k]).map((k) => `report.${k}`);
  if (actions.length) console.log(`note: ${actions.join(' and ')} take effect when vps-test runs in GitHub Actions; locally the reports are written to the run's folder`);
  return 0;
}
