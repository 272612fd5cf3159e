// A stateful fake of the GitHub REST operations our sinks use: issue comments and the contents
// API, with tokens that can or cannot write. Every request and every response it sends is
// validated against GitHub's OpenAPI description (./spec.ts); problems collect in `violations`
// and tests assert there are none. Hooks let a test inject a concurrent commit or slow a list.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitHubSpec, type MatchedOperation } from './spec.js';

export interface FakeToken {
  login: string;
  /** may write comments and contents; a fork PR's GITHUB_TOKEN may not */
  write: boolean;
}

export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  login: string;
  createdAt: string;
  updatedAt: string;
}

interface FakeFile {
  content: Buffer;
  sha: string;
}

export interface FakeRepoState {
  owner: string;
  name: string;
  /** branch -> path -> file */
  branches: Map<string, Map<string, FakeFile>>;
  commits: { branch: string; path: string; message: string; sha: string }[];
}

export interface RequestRecord {
  method: string;
  path: string;
  operationId: string | undefined;
  status: number;
}

export interface FakeGitHubHooks {
  /** runs after a contents PUT is parsed, before it is applied (inject a concurrent commit here) */
  beforeContentsPut?: (repo: FakeRepoState, branch: string, path: string) => void;
  /** runs before a comment list is answered (delay it to force a find-or-create race) */
  beforeListComments?: () => Promise<void>;
}

const BODY_LIMIT = 65_536;
const gitSha = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

export class FakeGitHub {
  readonly spec = new GitHubSpec();
  readonly tokens = new Map<string, FakeToken>();
  readonly repos = new Map<string, FakeRepoState>();
  readonly comments: FakeComment[] = [];
  readonly requests: RequestRecord[] = [];
  readonly violations: string[] = [];
  hooks: FakeGitHubHooks = {};
  private nextId = 1000;
  private server: Server | undefined;
  url = '';

  addRepo(owner: string, name: string, branches: string[] = ['main']): FakeRepoState {
    const repo: FakeRepoState = { owner, name, branches: new Map(branches.map((b) => [b, new Map()])), commits: [] };
    this.repos.set(`${owner}/${name}`, repo);
    return repo;
  }

  /** Writes a file directly (as another committer would). */
  putFile(repo: FakeRepoState, branch: string, path: string, text: string): string {
    const content = Buffer.from(text, 'utf8');
    const sha = gitSha(content);
    repo.branches.get(branch)?.set(path, { content, sha });
    repo.commits.push({ branch, path, message: 'direct write', sha });
    return sha;
  }

  fileText(owner: string, name: string, branch: string, path: string): string | undefined {
    return this.repos.get(`${owner}/${name}`)?.branches.get(branch)?.get(path)?.content.toString('utf8');
  }

  commentsOn(issue: number): FakeComment[] {
    return this.comments.filter((c) => c.issue === issue);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const op = this.spec.match(method, url.pathname);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      if (op) for (const v of this.spec.checkResponse(op, status, body)) this.violations.push(`${method} ${url.pathname}: ${v}`);
      this.requests.push({ method, path: url.pathname, operationId: op?.operationId, status });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (!op) {
      this.violations.push(`${method} ${url.pathname}: no such operation in the spec subset`);
      this.requests.push({ method, path: url.pathname, operationId: undefined, status: 404 });
      res.writeHead(404).end();
      return;
    }
    let body: unknown;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        this.violations.push(`${method} ${url.pathname}: request body is not JSON`);
      }
    }
    for (const v of this.spec.checkRequest(op, url.searchParams, body, raw !== '')) this.violations.push(`${method} ${url.pathname}: ${v}`);
    const auth = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = auth ? this.tokens.get(auth) : undefined;
    if (!token) return send(404, this.error('Not Found'));
    const repo = this.repos.get(`${op.params.owner}/${op.params.repo}`);
    if (!repo) return send(404, this.error('Not Found'));
    try {
      await this.route(op, url, body as Record<string, unknown> | undefined, token, repo, send);
    } catch (err) {
      this.violations.push(`${method} ${url.pathname}: fake failed: ${(err as Error).message}`);
      res.writeHead(500).end();
    }
  }

  private async route(op: MatchedOperation, url: URL, body: Record<string, unknown> | undefined, token: FakeToken, repo: FakeRepoState, send: (s: number, b?: unknown, h?: Record<string, string>) => void): Promise<void> {
    const forbidden = (): void => send(403, this.error('Resource not accessible by integration'));
    switch (op.operationId) {
      case 'issues/list-comments': {
        await this.hooks.beforeListComments?.();
        const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
        const page = Number(url.searchParams.get('page') ?? 1);
        const all = this.commentsOn(Number(op.params.issue_number)).sort((a, b) => a.id - b.id);
        const last = Math.max(1, Math.ceil(all.length / perPage));
        const link = (p: number, rel: string): string => `<${this.url}${url.pathname}?per_page=${perPage}&page=${p}>; rel="${rel}"`;
        const headers: Record<string, string> = page < last ? { link: [link(page + 1, 'next'), link(last, 'last')].join(', ') } : {};
        return send(200, all.slice((page - 1) * perPage, page * perPage).map((c) => this.commentJson(repo, c)), headers);
      }
      case 'issues/create-comment': {
        if (!token.write) return forbidden();
        const text = String(body?.body ?? '');
        if (text.length > BODY_LIMIT) return send(422, { message: 'Validation Failed', documentation_url: 'https://docs.github.com/rest', errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }] });
        const now = new Date().toISOString();
        const c: FakeComment = { id: this.nextId++, issue: Number(op.params.issue_number), body: text, login: token.login, createdAt: now, updatedAt: now };
        this.comments.push(c);
        return send(201, this.commentJson(repo, c));
      }
      case 'issues/get-comment':
      case 'issues/update-comment':
      case 'issues/delete-comment': {
        const c = this.comments.find((x) => x.id === Number(op.params.comment_id));
        if (!c) return send(404, this.error('Not Found'));
        if (op.operationId === 'issues/get-comment') return send(200, this.commentJson(repo, c));
        if (!token.write) return forbidden();
        if (op.operationId === 'issues/delete-comment') {
          this.comments.splice(this.comments.indexOf(c), 1);
          return send(204);
        }
        const text = String(body?.body ?? '');
        if (text.length > BODY_LIMIT) return send(422, { message: 'Validation Failed', documentation_url: 'https://docs.github.com/rest', errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: 'body is too long' }] });
        c.body = text;
        c.updatedAt = new Date().toISOString();
        return send(200, this.commentJson(repo, c));
      }
      case 'repos/get-content': {
        const branch = url.searchParams.get('ref') ?? 'main';
        const file = repo.branches.get(branch)?.get(op.params.path as string);
        if (!file) return send(404, this.error('Not Found'));
        return send(200, { type: 'file', encoding: 'base64', size: file.content.length, ...this.fileLinks(repo, branch, op.params.path as string, file.sha), content: file.content.toString('base64') });
      }
      case 'repos/create-or-update-file-contents': {
        if (!token.write) return forbidden();
        const branch = String(body?.branch ?? 'main');
        const path = op.params.path as string;
        const files = repo.branches.get(branch);
        if (!files) return send(404, this.error(`Branch ${branch} not found`));
        this.hooks.beforeContentsPut?.(repo, branch, path);
        const existing = files.get(path);
        if (existing && body?.sha === undefined) return send(422, { message: 'Invalid request.\n\n"sha" wasn\'t supplied.', documentation_url: 'https://docs.github.com/rest' });
        if (existing && body?.sha !== existing.sha) return send(409, this.error(`${path} does not match ${String(body?.sha)}`));
        if (!existing && body?.sha !== undefined) return send(422, { message: 'Invalid request.\n\n"sha" does not match any file', documentation_url: 'https://docs.github.com/rest' });
        const content = Buffer.from(String(body?.content ?? ''), 'base64');
        const sha = gitSha(content);
        files.set(path, { content, sha });
        const commitSha = createHash('sha1').update(`${branch}${path}${sha}${repo.commits.length}`).digest('hex');
        repo.commits.push({ branch, path, message: String(body?.message ?? ''), sha: commitSha });
        const links = this.fileLinks(repo, branch, path, sha);
        return send(existing ? 200 : 201, {
          content: { ...links, size: content.length, type: 'file' },
          commit: { sha: commitSha, node_id: `C_${commitSha.slice(0, 8)}`, url: `${this.url}/repos/${repo.owner}/${repo.name}/git/commits/${commitSha}`, html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${commitSha}`, message: String(body?.message ?? ''), parents: [] },
        });
      }
      default:
        this.violations.push(`${op.operationId}: not implemented by the fake`);
        return send(404, this.error('Not Found'));
    }
  }

  private error(message: string): { message: string; documentation_url: string } {
    return { message, documentation_url: 'https://docs.github.com/rest' };
  }

  private fileLinks(repo: FakeRepoState, branch: string, path: string, sha: string): Record<string, unknown> {
    const api = `${this.url}/repos/${repo.owner}/${repo.name}/contents/${path}?ref=${branch}`;
    const html = `https://github.com/${repo.owner}/${repo.name}/blob/${branch}/${path}`;
    const git = `${this.url}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}`;
    return { name: path.split('/').pop(), path, sha, url: api, html_url: html, git_url: git, download_url: `https://raw.githubusercontent.com/${repo.owner}/${repo.name}/${branch}/${path}`, _links: { self: api, git, html } };
  }

  private commentJson(repo: FakeRepoState, c: FakeComment): Record<string, unknown> {
    const base = `${this.url}/repos/${repo.owner}/${repo.name}`;
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      url: `${base}/issues/comments/${c.id}`,
      html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${c.issue}#issuecomment-${c.id}`,
      issue_url: `${base}/issues/${c.issue}`,
      body: c.body,
      user: this.user(c.login),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      author_association: 'NONE',
    };
  }

  private user(login: string): Record<string, unknown> {
    const u = `https://api.github.com/users/${encodeURIComponent(login)}`;
    return {
      login, id: 41898282, node_id: 'MDM6Qm90NDE4OTgyODI=', avatar_url: 'https://avatars.githubusercontent.com/in/15368?v=4', gravatar_id: '',
      url: u, html_url: `https://github.com/apps/${login}`, followers_url: `${u}/followers`, following_url: `${u}/following{/other_user}`, gists_url: `${u}/gists{/gist_id}`,
      starred_url: `${u}/starred{/owner}{/repo}`, subscriptions_url: `${u}/subscriptions`, organizations_url: `${u}/orgs`, repos_url: `${u}/repos`, events_url: `${u}/events{/privacy}`,
      received_events_url: `${u}/received_events`, type: 'Bot', site_admin: false,
    };
  }
}
