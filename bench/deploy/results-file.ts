// bench/RESULTS.md is shared by every benchmark: replace only our "## <name>" section.
import { readFile, writeFile } from 'node:fs/promises';

/** Replaces (or appends) the section under `## <name>`, leaving every other section intact. Pure. */
export function replaceSection(text: string, name: string, body: string): string {
  const heading = `## ${name}`;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  const section = [heading, '', ...body.replace(/\n+$/, '').split('\n'), ''];
  if (start < 0) {
    const base = text.trim() === '' ? ['# Benchmark results', ''] : [...lines.slice(0, lines.length - (lines.at(-1) === '' ? 1 : 0)), ''];
    return [...base, ...section].join('\n');
  }
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (end < 0) end = lines.length;
  return [...lines.slice(0, start), ...section, ...lines.slice(end)].join('\n').replace(/\n*$/, '\n');
}

export async function updateSection(file: string, name: string, body: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => '');
  await writeFile(file, replaceSection(current, name, body));
}
