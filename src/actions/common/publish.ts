// After a run: everything that leaves the machine, each step failing on its own without hiding
// the verdict (a comment that cannot be posted is a warning, not the job's failure).
import { readFile } from 'node:fs/promises';
import { appendJobSummary, summaryNotice } from '../../report/sinks/job-summary.js';
import { commentRefusal, commentTarget, upsertStickyComment } from '../../report/sinks/pr-comment.js';
import { commitJournalEntry, reportableFinding } from '../../report/sinks/journal-commit.js';
import { githubClient, errorMessage } from '../../report/sinks/github-client.js';
import { planRunArtifacts, uploadRunArtifacts } from '../../report/sinks/artifacts.js';
import type { ResultsJson } from '../../results/schema.js';
import type { ActionInputs } from './inputs.js';
import type { JobContext } from './context.js';
import type { RunFiles } from './run-outputs.js';
import { artifactUploader } from './clients.js';

export interface Log {
  info(text: string): void;
  warning(text: string): void;
}

export interface Published {
  commentUrl?: string;
  notices: string[];
  artifacts: string[];
}

export async function publishRun(opts: { inputs: ActionInputs; ctx: JobContext; files: RunFiles; runId: string; log: Log; extraSummary?: string[] }): Promise<Published> {
  const { inputs, ctx, files, runId, log } = opts;
  const out: Published = { notices: [...(opts.extraSummary ?? [])], artifacts: [] };
  const report = files.reportPath ? await readFile(files.reportPath, 'utf8') : undefined;
  const results = files.resultsPath ? (JSON.parse(await readFile(files.resultsPath, 'utf8')) as ResultsJson) : undefined;

  // PR comment
  const target = commentTarget(ctx.eventName, ctx.event, inputs.prComment);
  if (report && target.post && target.issueNumber !== undefined) {
    if (!inputs.githubToken) out.notices.push('No PR comment: the github-token input is empty.');
    else {
      try {
        const r = await upsertStickyComment(githubClient(inputs.githubToken), { owner: ctx.owner, repo: ctx.repo, issueNumber: target.issueNumber, body: report });
        out.commentUrl = r.url;
        log.info(`PR comment ${r.action}: ${r.url}`);
      } catch (err) {
        const refusal = commentRefusal(err);
        if (!refusal) throw err;
        out.notices.push(`No PR comment: ${refusal}.`);
        log.warning(`no PR comment: ${refusal}`);
      }
    }
  } else if (report && target.reason && target.reason !== 'pr-comment is false' && !target.reason.startsWith('not a pull request')) {
    out.notices.push(`No PR comment: ${target.reason}.`);
    log.warning(`no PR comment: ${target.reason}`);
  }

  // Journal
  if (inputs.journal && results && files.journalEntryPath) {
    const finding = reportableFinding(results);
    if (!finding.reportable) log.info(`journal: ${finding.why}`);
    else if (!inputs.githubToken) out.notices.push('No journal entry: the github-token input is empty.');
    else {
      const branch = inputs.journalBranch || ctx.branch;
      try {
        const entry = await readFile(files.journalEntryPath, 'utf8');
        const c = await commitJournalEntry(githubClient(inputs.githubToken), { owner: ctx.owner, repo: ctx.repo, branch, path: inputs.journal, entry, message: `vps-test journal: ${results.project ?? 'run'} ${results.verdict.toUpperCase()} (${finding.why}) [run ${runId}]` });
        log.info(`journal entry committed to ${branch}:${inputs.journal} (${c.commitSha.slice(0, 7)}, ${c.attempts} ${c.attempts === 1 ? 'try' : 'tries'})`);
      } catch (err) {
        out.notices.push(`No journal entry: ${errorMessage(err)}`);
        log.warning(errorMessage(err));
      }
    }
  }

  // Artifacts
  if (inputs.artifacts) {
    const uploader = await artifactUploader();
    if (!uploader) log.info('artifacts: no artifact service on this runner (ACTIONS_RUNTIME_TOKEN unset); skipped');
    else {
      try {
        const plan = await planRunArtifacts(files.runDir, runId, ctx.attempt);
        for (const u of await uploadRunArtifacts(uploader, plan, inputs.retentionDays)) out.artifacts.push(u.name);
        log.info(`artifacts: ${out.artifacts.join(', ') || 'none'}${plan.excluded.length ? ` (left out: ${plan.excluded.map((e) => e.file).join(', ')})` : ''}`);
      } catch (err) {
        out.notices.push(`Artifacts not uploaded: ${errorMessage(err)}`);
        log.warning(`artifacts not uploaded: ${errorMessage(err)}`);
      }
    }
  }

  // Job summary: always the report (or why there is none), with the notices first.
  const summary = [
    ...out.notices.map((n) => summaryNotice('NOTE', n)),
    report ?? `## vps-test: no report\nRun ${runId} ended before its report was written; see the step log.\n`,
    ...(out.artifacts.length ? [`Artifacts: ${out.artifacts.map((a) => `\`${a}\``).join(', ')}${ctx.runUrl ? ` ([workflow run](${ctx.runUrl}))` : ''}\n`] : []),
  ].join('\n');
  await appendJobSummary(ctx.summaryPath, summary);
  return out;
}
