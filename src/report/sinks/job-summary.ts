// The job summary ($GITHUB_STEP_SUMMARY): appended to, never truncated by us beyond GitHub's
// 1 MiB per-step limit (the report is already bounded to 65,536 characters).
import { appendFile } from 'node:fs/promises';

export const SUMMARY_LIMIT = 1024 * 1024;

export async function appendJobSummary(path: string | undefined, markdown: string): Promise<boolean> {
  if (!path) return false;
  const text = markdown.endsWith('\n') ? markdown : `${markdown}\n`;
  await appendFile(path, Buffer.byteLength(text) > SUMMARY_LIMIT ? `${text.slice(0, SUMMARY_LIMIT / 2)}\n\n> ⚠️ Summary truncated to fit GitHub's 1 MiB step summary limit.\n` : text, 'utf8');
  return true;
}

/** A notice block for the summary (GitHub alert syntax). */
export function summaryNotice(kind: 'NOTE' | 'WARNING', text: string): string {
  return `> [!${kind}]\n> ${text.replace(/\n/g, '\n> ')}\n`;
}
