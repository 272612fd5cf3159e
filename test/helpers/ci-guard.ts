// Global setup of the integration project: under CI=true the root-only tests must run, so a
// non-root CI job fails here instead of reporting a green suite in which they all skipped.
export function ciRootProblem(env: NodeJS.ProcessEnv, uid: number | undefined): string | undefined {
  if (env.CI !== 'true' || uid === 0) return undefined;
  return 'CI=true but not root: the integration and e2e tests need root (network namespaces, nftables, sshd) and would skip; run them as root, or unset CI to allow the skips locally';
}

export default function setup(): void {
  const problem = ciRootProblem(process.env, process.getuid?.());
  if (problem) throw new Error(problem);
}
