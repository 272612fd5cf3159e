// Reading results.json back (a baseline, a report re-rendered): parse, check the schema version,
// validate against the lenient zod schema of schema.ts, and say what is wrong with a file.
import { readFile } from 'node:fs/promises';
import { READABLE_SCHEMAS, resultsJsonSchema, type ResultsJson } from './schema.js';

export class ResultsSchemaError extends Error {
  override name = 'ResultsSchemaError';
}

function describePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '') || '(top level)';
}

/** Validates results.json text; `source` names the file in errors. */
export function parseResultsJson(text: string, source: string): ResultsJson {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ResultsSchemaError(`${source}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (typeof data === 'object' && data !== null && 'schema' in data && !(READABLE_SCHEMAS as readonly unknown[]).includes((data as { schema: unknown }).schema)) {
    throw new ResultsSchemaError(`${source}: schema is ${JSON.stringify((data as { schema: unknown }).schema)}, expected "${READABLE_SCHEMAS.join('" or "')}" (is this a vps-test results.json?)`);
  }
  const parsed = resultsJsonSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const lines = issues.slice(0, 5).map((i) => `  ${describePath(i.path)}: ${i.message}`);
    if (issues.length > 5) lines.push(`  ... and ${issues.length - 5} more`);
    throw new ResultsSchemaError(`${source}: not a valid vps-test results file:\n${lines.join('\n')}`);
  }
  return parsed.data as ResultsJson;
}

/** Reads and validates a baseline results.json. */
export async function loadResultsJson(path: string): Promise<ResultsJson> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ResultsSchemaError(code === 'ENOENT' ? `baseline file not found: ${path}` : `cannot read baseline ${path}: ${(err as Error).message}`);
  }
  return parseResultsJson(text, path);
}
