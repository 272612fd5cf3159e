// Fewer processes for the same steps: consecutive `ip` commands aimed at the same namespace
// become one `ip [-n ns] -batch -` fed their lines on stdin. Spawning is what a big lab pays
// for (~30 ms per command on a loaded 2-core machine), not the kernel work. Pure.
import type { Step } from './steps.js';

/** The namespace an `ip` step targets and the arguments after it, or undefined when it is no plain `ip` step. */
function ipTarget(step: Step): { ns: string | undefined; args: string[] } | undefined {
  const [cmd, ...rest] = step.argv;
  if (cmd !== 'ip' || step.ns !== undefined || step.input !== undefined) return undefined;
  if (rest[0] === '-n') {
    const ns = rest[1];
    return ns && rest.length > 2 && !rest[2]?.startsWith('-') ? { ns, args: rest.slice(2) } : undefined;
  }
  return rest.length > 0 && !rest[0]?.startsWith('-') ? { ns: undefined, args: rest } : undefined;
}

/** `ip -batch` splits a line on blanks: an argument holding one (or a quote, or nothing) cannot go there. */
function batchable(args: string[]): boolean {
  return args.every((a) => a !== '' && !/[\s"'\\#]/.test(a));
}

/** Merges runs of batchable `ip` steps with the same target; a run of one stays as it was. */
export function batchSteps(steps: Step[]): Step[] {
  const out: Step[] = [];
  let run: { ns: string | undefined; lines: string[]; first: Step } | undefined;
  const flush = () => {
    if (!run) return;
    if (run.lines.length === 1) out.push(run.first);
    else out.push({ argv: ['ip', ...(run.ns ? ['-n', run.ns] : []), '-batch', '-'], input: `${run.lines.join('\n')}\n` });
    run = undefined;
  };
  for (const step of steps) {
    const target = ipTarget(step);
    if (!target || !batchable(target.args)) {
      flush();
      out.push(step);
      continue;
    }
    if (run && run.ns === target.ns) {
      run.lines.push(target.args.join(' '));
      continue;
    }
    flush();
    run = { ns: target.ns, lines: [target.args.join(' ')], first: step };
  }
  flush();
  return out;
}
