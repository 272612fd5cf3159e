// Which stages an invocation runs: all of them (a new run), some of them on an existing run
// (--stages), or what is left of a run (--resume). Pure: the state is an input.
import { STAGES, type RunState, type Stage } from './state.js';

export class StageSelectionError extends Error {}

export function parseStages(text: string): Stage[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new StageSelectionError(`--stages: name at least one stage (${STAGES.join(', ')})`);
  for (const n of names) {
    if (!(STAGES as readonly string[]).includes(n)) throw new StageSelectionError(`--stages: unknown stage '${n}' (stages: ${STAGES.join(', ')})`);
  }
  return STAGES.filter((s) => names.includes(s));
}

function doneStages(state: RunState): Set<Stage> {
  return new Set(state.stages.filter((s) => s.status === 'done').map((s) => s.stage));
}

/** Stage -> the stages whose outputs it reads (directly or through the chain before it). */
const NEEDS: Record<Stage, Stage[]> = {
  plan: [],
  build: ['plan'],
  provision: ['plan'],
  deploy: ['build', 'provision'],
  test: ['deploy'],
  evaluate: ['plan'],
  report: ['evaluate'],
  teardown: [],
};

/** Refuses a selection whose inputs neither exist in the run folder nor are made by it. */
export function checkSelection(selected: readonly Stage[], state: RunState | undefined): void {
  const done = state ? doneStages(state) : new Set<Stage>();
  const will = new Set(selected);
  if (state && will.has('plan')) throw new StageSelectionError(`run ${state.runId} is planned already: its plan stage can not run again (start a new run instead)`);
  if (!state && !will.has('plan')) throw new StageSelectionError(`--stages ${selected.join(',')} on a new run: a new run starts with plan; continue an existing run with --run RUN`);
  for (const s of selected) {
    for (const need of NEEDS[s]) {
      if (!done.has(need) && !will.has(need)) throw new StageSelectionError(`--stages ${selected.join(',')}: ${s} needs the outputs of ${need}, which ${state ? `run ${state.runId} has not completed` : 'this run does not make'} (add ${need} to --stages)`);
    }
  }
  if (state) {
    const needFleet = selected.some((s) => s === 'deploy' || s === 'test') && !will.has('provision');
    if (needFleet && !state.fleetUp) throw new StageSelectionError(`run ${state.runId} has no fleet up (it was torn down): ${selected.join(', ')} can not run on it`);
  }
}

/**
 * What --resume runs: every stage after the last one completed (teardown last). A test that has
 * to run again is preceded by deploy: after a crash the services' state is unknown (the
 * rendezvous server still holds the dead attempt's sessions), and deploy is idempotent.
 */
export function stagesToResume(state: RunState): Stage[] {
  const done = doneStages(state);
  if (done.has('teardown') && !state.fleetUp) return [];
  let last = -1;
  STAGES.forEach((s, i) => {
    if (done.has(s) && s !== 'teardown') last = i;
  });
  const left = STAGES.slice(Math.max(last + 1, 1));
  return left[0] === 'test' ? ['deploy', ...left] : left;
}
