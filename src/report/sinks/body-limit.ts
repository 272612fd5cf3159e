// GitHub rejects comment bodies over 65,536 characters. report.md is already bounded by its
// renderer; this is the sink's own guarantee for any body (e.g. a report from an older version).
export const COMMENT_BODY_LIMIT = 65_536;

export function truncationNote(originalLength: number, limit: number): string {
  return `\n\n> ⚠️ Truncated by vps-test: the report was ${originalLength.toLocaleString('en-US')} characters, over GitHub's ${limit.toLocaleString('en-US')}-character comment limit. The full report is in the job summary artifacts (report.md).\n`;
}

/** `body` when it fits, else its longest prefix ending at a line break plus a note saying so. */
export function boundBody(body: string, limit = COMMENT_BODY_LIMIT): string {
  if (body.length <= limit) return body;
  const note = truncationNote(body.length, limit);
  const head = body.slice(0, limit - note.length);
  const cut = head.lastIndexOf('\n');
  const kept = cut > 0 ? head.slice(0, cut) : head;
  // A cut inside an open <details> would fold the note away: close it.
  const open = kept.split('<details>').length - kept.split('</details>').length;
  const closer = open > 0 ? '\n</details>' : '';
  return (kept.slice(0, limit - note.length - closer.length) + closer + note).slice(0, limit);
}
