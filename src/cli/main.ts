// vps-test: the command line. Each command lives in ./commands/<name>.ts and returns an exit code
// (0 pass, 1 fail, 2 error or bad input).
import { ConfigError } from '../config/errors.js';
import { ChoiceError } from '../plan/choices.js';
import { UsageError } from './args.js';
import { VERSION } from './version.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: { summary: 'plan, build, provision, deploy, test, evaluate, report, tear down', load: async () => (await import('./commands/run.js')).runCommand },
  plan: { summary: 'print the test plan of a config (asks for missing choices in a terminal)', load: async () => (await import('./commands/plan.js')).planCommand },
  validate: { summary: 'check a config file and report every problem with file:line:col', load: async () => (await import('./commands/validate.js')).validateCommand },
  report: { summary: 'render report.md, results.json, junit.xml, proof and journal entry from result events', load: async () => (await import('./commands/report.js')).reportCommand },
  up: { summary: 'bring up the fleet of a config (local lab) and leave it running', load: async () => (await import('./commands/up.js')).upCommand },
  nodes: { summary: 'list the nodes of the running fleet', load: async () => (await import('./commands/nodes.js')).nodesCommand },
  diagnose: { summary: 'service status, logs, disk, memory, sockets and NAT rules of a node', load: async () => (await import('./commands/diagnose.js')).diagnoseCommand },
  status: { summary: "every run of this user: stage, age, provider, nodes, controller alive, expiry", load: async () => (await import('./commands/status.js')).statusCommand },
  logs: { summary: "a run's progress log, or a node's service logs (--node, --follow)", load: async () => (await import('./commands/logs.js')).logsCommand },
  stop: { summary: 'end a run gracefully from any terminal: logs, evaluate, report, tear down', load: async () => (await import('./commands/stop.js')).stopCommand },
  down: { summary: "remove everything of a run (or of all this user's runs with --all)", load: async () => (await import('./commands/down.js')).downCommand },
  janitor: { summary: 'delete expired vps-test droplets and SSH keys on DigitalOcean (--dry-run lists them)', load: async () => (await import('./commands/janitor.js')).janitorCommand },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    `vps-test ${VERSION}: validate peer-to-peer software on real machines and real networks`,
    '',
    'Usage: vps-test <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `vps-test <command> --help` for a command\'s options.',
    'Quick start (no account needed): sudo npx vps-test run   # the local lab NAT matrix',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    console.log(VERSION);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`vps-test: unknown command '${name}'. Commands: ${Object.keys(COMMANDS).join(', ')}`);
    return 2;
  }
  try {
    return await (await command.load())(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${err.problems.length} problem${err.problems.length === 1 ? '' : 's'} in the config; nothing was run:\n${err.message}`);
      return 2;
    }
    if (err instanceof UsageError || err instanceof ChoiceError) {
      console.error(err.message);
      return 2;
    }
    console.error(`vps-test ${name}: ${(err as Error).message ?? String(err)}`);
    if (process.env.VPS_TEST_DEBUG) console.error((err as Error).stack);
    return 2;
  }
}
