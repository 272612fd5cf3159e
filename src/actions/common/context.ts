// What the runner tells a step about the job: repository, event, branches, attempt. Read from the
// environment the runner sets (GITHUB_*), so tests set the same variables.
import { readFileSync } from 'node:fs';
import type { PullRequestEvent } from '../../report/sinks/pr-comment.js';

export interface JobContext {
  owner: string;
  repo: string;
  eventName: string;
  event: PullRequestEvent & { repository?: { default_branch?: string } };
  /** the branch the code under test is on */
  branch: string;
  /** a PR's base branch */
  baseBranch?: string;
  prNumber?: number;
  attempt: string;
  workspace: string;
  summaryPath?: string;
  serverUrl: string;
  runUrl?: string;
}

export function jobContext(env: NodeJS.ProcessEnv = process.env): JobContext {
  const [owner = '', repo = ''] = (env.GITHUB_REPOSITORY ?? '/').split('/');
  let event: JobContext['event'] = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as JobContext['event'];
    } catch (err) {
      throw new Error(`GITHUB_EVENT_PATH ${env.GITHUB_EVENT_PATH}: cannot read the event payload: ${(err as Error).message}`);
    }
  }
  const pr = event.pull_request as (PullRequestEvent['pull_request'] & { head?: { ref?: string }; base?: { ref?: string } }) | undefined;
  const serverUrl = env.GITHUB_SERVER_URL ?? 'https://github.com';
  return {
    owner,
    repo,
    eventName: env.GITHUB_EVENT_NAME ?? 'unknown',
    event,
    branch: env.GITHUB_HEAD_REF || pr?.head?.ref || env.GITHUB_REF_NAME || 'unknown',
    ...((env.GITHUB_BASE_REF || pr?.base?.ref) && { baseBranch: (env.GITHUB_BASE_REF || pr?.base?.ref) as string }),
    ...(pr?.number !== undefined && { prNumber: pr.number }),
    attempt: env.GITHUB_RUN_ATTEMPT ?? '1',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    ...(env.GITHUB_STEP_SUMMARY && { summaryPath: env.GITHUB_STEP_SUMMARY }),
    serverUrl,
    ...(env.GITHUB_RUN_ID && { runUrl: `${serverUrl}/${owner}/${repo}/actions/runs/${env.GITHUB_RUN_ID}` }),
  };
}
