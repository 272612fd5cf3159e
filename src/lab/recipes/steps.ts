// A Step is one command of a recipe: the lab runs it through an injected exec (so a failure
// names the command), and the script renderer prints the very same list as a shell script for
// a cloud machine ("same recipes"). Pure.
import { shellQuote } from '../../shell/quote.js';

export interface Step {
  /** Run inside this network namespace (`ip netns exec <ns> ...`); undefined = the machine itself. */
  ns?: string;
  argv: string[];
  /** Text fed to the command's stdin (nft rulesets). */
  input?: string;
}

/** `ip [-n ns] args...`: iproute2 can target a namespace itself, no `ip netns exec` needed. */
export function ip(ns: string | undefined, ...args: string[]): Step {
  return { argv: ['ip', ...(ns ? ['-n', ns] : []), ...args] };
}

export function inNamespace(ns: string | undefined, argv: string[], input?: string): Step {
  return { ...(ns ? { ns } : {}), argv, ...(input !== undefined ? { input } : {}) };
}

/** The argv a step really runs, with the namespace prefix applied. */
export function stepArgv(step: Step): string[] {
  return step.ns ? ['ip', 'netns', 'exec', step.ns, ...step.argv] : step.argv;
}


/** One step as a shell line; stdin becomes a quoted heredoc (no expansion inside). */
export function renderStep(step: Step): string {
  const line = stepArgv(step).map(shellQuote).join(' ');
  if (step.input === undefined) return line;
  const body = step.input.endsWith('\n') ? step.input : `${step.input}\n`;
  if (body.split('\n').includes('VT_EOF')) throw new Error('step input contains the heredoc terminator VT_EOF');
  return `${line} <<'VT_EOF'\n${body}VT_EOF`;
}

/** Human form for progress lines and error messages (stdin elided). */
export function describeStep(step: Step): string {
  return stepArgv(step).map(shellQuote).join(' ') + (step.input !== undefined ? ' <<(stdin)' : '');
}
