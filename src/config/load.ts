// YAML -> typed Config. Collects every problem of the file (syntax, schema, semantics) and
// throws one ConfigError naming file:line:col for each, so nothing is provisioned on bad input.
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { configSchema, type Config } from './schema.js';
import { ConfigError, formatPath, type ConfigProblem } from './errors.js';
import { explainIssue } from './issues.js';
import { locate } from './locate.js';
import { checkSemantics } from './semantics.js';

export interface LoadedConfig {
  config: Config;
  /** path as given, for messages */
  file: string;
  /** project name: config.project, else the file's directory name */
  project: string;
}

export function parseConfig(text: string, file: string): Config {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  for (const err of doc.errors) {
    const pos = counter.linePos(err.pos[0]);
    problems.push({ file, line: pos.line, col: pos.col, path: '', message: `YAML syntax: ${err.message.split('\n')[0]}` });
  }
  if (problems.length) throw new ConfigError(problems);

  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: 'the config must be a mapping with keys such as project, build, fleet, tests' }]);
  }
  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const explained of explainIssue(issue, data)) {
        const pos = locate(doc, counter, explained.path, explained.atKey);
        problems.push({ file, ...pos, path: formatPath(explained.path), message: explained.message });
      }
    }
    throw new ConfigError(sortProblems(problems));
  }
  for (const issue of checkSemantics(parsed.data)) {
    const pos = locate(doc, counter, issue.path);
    problems.push({ file, ...pos, path: formatPath(issue.path), message: issue.message });
  }
  if (problems.length) throw new ConfigError(sortProblems(problems));
  return parsed.data;
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.col - b.col);
}

export async function loadConfig(path: string): Promise<LoadedConfig> {
  const file = relative(process.cwd(), path) || path;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: code === 'ENOENT' ? 'file not found (create it, or run `vps-test init`, or pass another path)' : `cannot read: ${(err as Error).message}` }]);
  }
  const config = parseConfig(text, file);
  // A journal path is the config's own: relative to its directory, not to where vps-test runs.
  if (typeof config.report.journal === 'string') config.report.journal = resolve(dirname(path), config.report.journal);
  const project = config.project ?? (basenameOfDir(path) || 'project');
  return { config, file, project };
}

function basenameOfDir(path: string): string {
  const parts = path.replace(/\\/g, '/').split('/');
  parts.pop();
  return parts.filter(Boolean).pop() ?? '';
}
