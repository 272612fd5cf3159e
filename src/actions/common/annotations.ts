// Config problems printed by the CLI as "file:line:col: path: message" become annotations on the
// file and line, relative to the workspace (GitHub shows them on the PR's diff). Pure.
import { isAbsolute, relative } from 'node:path';

export interface Annotation {
  file: string;
  line: number;
  col: number;
  message: string;
}

const PROBLEM = /^(\S[^:]*):(\d+):(\d+): (.+)$/;

export function configAnnotations(stderr: string, workspace: string): Annotation[] {
  const out: Annotation[] = [];
  for (const line of stderr.split('\n')) {
    const m = PROBLEM.exec(line.trim());
    if (!m) continue;
    const file = m[1] as string;
    const rel = isAbsolute(file) ? relative(workspace, file) : file;
    out.push({ file: rel.startsWith('..') ? file : rel, line: Number(m[2]), col: Number(m[3]), message: m[4] as string });
  }
  return out;
}
