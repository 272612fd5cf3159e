// Where our workflows reference our own actions (docs/architecture.md "Releases and action refs"):
// one source of truth, package.json: `repository` names the GitHub repository (owner/name) and
// `version`'s major is the ref every `uses:` of ours carries (v<major>), the tag a release moves.
// Inside a reusable workflow `./actions/x` would resolve in the caller's repository, so our own
// actions are always referenced by full path at that ref.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ReleaseIdentity {
  /** "owner/name" on GitHub */
  repository: string;
  /** "v<major>": the moving tag a release updates */
  ref: string;
  version: string;
}

export function releaseIdentity(pkg: { version?: string; repository?: string | { url?: string } }): ReleaseIdentity {
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  const slug = /github\.com[/:]([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+?)(\.git)?\/?$/.exec(url ?? '')?.[1] ?? (/^(github:)?([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)$/.exec(url ?? '')?.[2]);
  if (!slug) throw new Error(`package.json: repository ${JSON.stringify(url ?? null)} does not name a GitHub repository (https://github.com/OWNER/NAME)`);
  const major = /^(\d+)\.\d+\.\d+/.exec(pkg.version ?? '')?.[1];
  if (major === undefined) throw new Error(`package.json: version ${JSON.stringify(pkg.version ?? null)} is not semver (X.Y.Z)`);
  return { repository: slug, ref: `v${major}`, version: pkg.version as string };
}

export function readIdentity(root: string): ReleaseIdentity {
  return releaseIdentity(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as never);
}

export interface OwnUse {
  file: string;
  line: number;
  uses: string;
  /** actions/x or .github/workflows/x.yml; undefined for the root action */
  path?: string;
  ref: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const ownRef = (repository: string) => new RegExp(`(?<![\\w./-])${escape(repository)}(/([^@\\s'"\`]+))?@([A-Za-z0-9._-]+)`, 'g');

/** Every `<repository>[/path]@ref` in a text: `uses:` lines of workflows, and the examples in docs. */
export function ownUses(text: string, file: string, repository: string): OwnUse[] {
  const out: OwnUse[] = [];
  text.split('\n').forEach((lineText, i) => {
    for (const m of lineText.matchAll(ownRef(repository))) out.push({ file, line: i + 1, uses: m[0], ...(m[2] && { path: m[2] }), ref: m[3] as string });
  });
  return out;
}

/** "actions/{build,test}" -> ["actions/build", "actions/test"] (the docs name several at once). */
function expand(path: string): string[] {
  const m = /^(.*)\{([^}]*)\}(.*)$/.exec(path);
  return m ? (m[2] as string).split(',').flatMap((alt) => expand(`${m[1]}${alt}${m[3]}`)) : [path];
}

/** Placeholders that would send users to somebody else's repository. */
const PLACEHOLDER = /\borg\/vps-test\b/;

/** What is wrong with the references in `files` (relative to root): wrong ref, missing action, placeholders. */
export function refProblems(root: string, files: readonly string[], id: ReleaseIdentity): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    text.split('\n').forEach((l, i) => {
      if (PLACEHOLDER.test(l)) problems.push(`${file}:${i + 1}: placeholder repository "org/vps-test" (package.json says ${id.repository})`);
    });
    for (const u of ownUses(text, file, id.repository)) {
      if (u.ref !== id.ref) problems.push(`${file}:${u.line}: ${u.uses}: ref ${u.ref}, but package.json version ${id.version} releases ${id.ref}`);
      for (const path of u.path === undefined ? [undefined] : expand(u.path)) {
        const target = path === undefined ? 'action.yml' : path.endsWith('.yml') ? path : `${path}/action.yml`;
        if (!existsSync(join(root, target))) problems.push(`${file}:${u.line}: ${u.uses}: ${target} does not exist in this repository`);
      }
    }
  }
  return problems;
}

/** The text with every reference of ours moved to `ref`. */
export function rewriteRefs(text: string, repository: string, ref: string): string {
  return text.replace(ownRef(repository), (_all, path: string | undefined) => `${repository}${path ?? ''}@${ref}`);
}

/** The files that reference our actions: workflows, starters, README, the architecture doc. */
export function referencingFiles(root: string, list: (dir: string) => string[]): string[] {
  const yml = (dir: string) => (existsSync(join(root, dir)) ? list(join(root, dir)).filter((f) => /\.ya?ml$/.test(f)).map((f) => `${dir}/${f}`) : []);
  return [...yml('.github/workflows'), ...yml('workflows'), 'README.md', 'docs/architecture.md'].filter((f) => existsSync(join(root, f)));
}
