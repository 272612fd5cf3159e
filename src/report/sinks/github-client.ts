// The GitHub REST client the sinks talk through: the real Octokit from @actions/github, pointed
// at GITHUB_API_URL (a local fake in tests, see docs/architecture.md "GitHub sinks").
import { getOctokit } from '@actions/github';

export type GitHubClient = ReturnType<typeof getOctokit>;

export interface RepoRef {
  owner: string;
  repo: string;
}

export function githubClient(token: string, baseUrl = process.env.GITHUB_API_URL ?? 'https://api.github.com'): GitHubClient {
  return getOctokit(token, { baseUrl });
}

/** The HTTP status of an Octokit RequestError, or undefined for anything else. */
export function httpStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' ? status : undefined;
}

export function errorMessage(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}
