// JSON lines the controller wrote into the run folder (scenario steps, metric scrapes), read back
// by a later stage, maybe in another process. A missing file is no records; a bad line is an
// error naming the file and line.
import { readFile } from 'node:fs/promises';

export async function readJsonLines<T>(path: string, check: (value: unknown, where: string) => T): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: T[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const where = `${path}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`${where}: not JSON`);
    }
    out.push(check(value, where));
  });
  return out;
}
