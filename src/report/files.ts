// File sinks for rendered reports: atomic writes (temp name + rename) so a reader never sees a
// half-written report, and journal insertion into an existing file.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { insertJournalEntry } from './journal.js';

export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
}

/** Writes name -> text files into `dir`; returns name -> path in the given order. */
export async function writeReportFiles(dir: string, files: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const written: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    await writeFileAtomic(path, text);
    written[name] = path;
  }
  return written;
}

/** Inserts a journal entry (latest on top) into a journal file, creating it when missing. */
export async function appendToJournalFile(path: string, entry: string): Promise<void> {
  let existing = '';
  try {
    existing = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read journal ${path}: ${(err as Error).message}`);
  }
  await writeFileAtomic(path, insertJournalEntry(existing, entry));
}
