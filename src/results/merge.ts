// Folding findings of another kind (scenarios, metric criteria) into a verdict judged on the
// suites' events. Pure. schema.ts imports modules that use this one, so the verdict names are
// spelled here (no import cycle).
export type VerdictName = 'pass' | 'fail' | 'degraded' | 'error';
export interface VerdictAndReasons {
  verdict: VerdictName;
  reasons: string[];
}
export interface Findings {
  fails: string[];
  degrades: string[];
  /** what was met, listed when everything passed */
  passes: string[];
}

const SEVERITY: Record<VerdictName, number> = { pass: 0, degraded: 1, fail: 2, error: 3 };
const NOTHING = 'nothing to judge and nothing failed';

/** Worst verdict wins; an error keeps its reasons first; on a pass, what was met is listed. */
export function mergeFindings<V extends VerdictAndReasons>(base: V, f: Findings): V {
  const own: VerdictName = f.fails.length ? 'fail' : f.degrades.length ? 'degraded' : 'pass';
  if (own === 'pass') {
    if (base.verdict !== 'pass' || !f.passes.length) return base;
    const nothing = base.reasons.length === 1 && base.reasons[0] === NOTHING;
    return { ...base, reasons: nothing ? [`all criteria met: ${f.passes.join('; ')}`] : [...base.reasons, ...f.passes] };
  }
  const mine = [...f.fails, ...f.degrades];
  if (SEVERITY[base.verdict] > SEVERITY[own]) return { ...base, reasons: [...base.reasons, ...mine] };
  if (SEVERITY[base.verdict] === SEVERITY[own]) return { ...base, reasons: base.verdict === 'error' ? [...base.reasons, ...mine] : [...f.fails, ...base.reasons, ...f.degrades] };
  return { ...base, verdict: own, reasons: [...mine, ...(base.verdict === 'pass' ? [] : base.reasons)] };
}
