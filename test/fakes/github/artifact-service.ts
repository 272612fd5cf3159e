// A stand-in for the Actions results service as @actions/artifact and @actions/cache (v2 cache
// service) speak it at ACTIONS_RESULTS_URL: the Twirp JSON calls CreateArtifact /
// FinalizeArtifact and GetCacheEntryDownloadURL / CreateCacheEntry / FinalizeCacheEntryUpload,
// the Azure Blob block upload (Put Block, Put Block List) behind the signed URLs it hands out,
// and plain GET downloads. It records what the real clients sent: names, expiry (retention),
// backend ids, cache keys and versions, the archives' bytes.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredArtifact {
  id: number;
  name: string;
  expiresAt?: string;
  runBackendId: string;
  jobBackendId: string;
  finalized: boolean;
  createdAt: string;
  size?: string;
  hash?: string;
  blocks: Map<string, Buffer>;
  blob?: Buffer;
}

export interface CacheEntry {
  id: number;
  key: string;
  version: string;
  finalized: boolean;
  createdAt: number;
  blocks: Map<string, Buffer>;
  blob?: Buffer;
}

export const RUN_BACKEND_ID = 'ce7f54c7-61c7-4aae-887f-30da475f5f1a';
export const JOB_BACKEND_ID = 'ca395085-040a-526b-2ce8-bdc85f692774';

/** An unsigned JWT with the scope @actions/artifact reads its backend ids from. */
export function fakeRuntimeToken(): string {
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ scp: `Actions.GenericRead:${RUN_BACKEND_ID} Actions.Results:${RUN_BACKEND_ID}:${JOB_BACKEND_ID}` })}.`;
}

const body = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

export class FakeArtifactService {
  readonly artifacts: StoredArtifact[] = [];
  readonly caches: CacheEntry[] = [];
  readonly problems: string[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', this.url);
        const data = await body(req);
        const twirp = /^\/twirp\/github\.actions\.results\.api\.v1\.(ArtifactService|CacheService)\/(\w+)$/.exec(url.pathname);
        if (twirp && req.method === 'POST') {
          const msg = JSON.parse(data.toString('utf8') || '{}') as Record<string, string>;
          const reply = twirp[1] === 'CacheService' ? this.cacheTwirp(twirp[2] as string, msg) : this.twirp(twirp[2] as string, msg);
          res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
          return;
        }
        const blob = /^\/(blob|cache)\/(\d+)$/.exec(url.pathname);
        const art: { blocks: Map<string, Buffer>; blob?: Buffer } | undefined = blob ? (blob[1] === 'blob' ? this.artifacts : this.caches).find((a) => a.id === Number(blob[2])) : undefined;
        if (art && req.method === 'GET' && art.blob) {
          res.writeHead(200, { 'content-type': blob?.[1] === 'blob' ? 'application/zip' : 'application/octet-stream', 'content-length': String(art.blob.length) }).end(art.blob);
          return;
        }
        if (art && req.method === 'PUT') {
          const headers = { 'x-ms-request-id': `req-${Date.now()}`, 'x-ms-version': req.headers['x-ms-version'] ?? '2024-11-04', date: new Date().toUTCString() };
          const comp = url.searchParams.get('comp');
          if (comp === 'block') {
            art.blocks.set(url.searchParams.get('blockid') ?? '', data);
            res.writeHead(201, { ...headers, 'x-ms-request-server-encrypted': 'true' }).end();
          } else if (comp === 'blocklist') {
            const ids = [...data.toString('utf8').matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]+)<\//g)].map((m) => m[1] as string);
            const missing = ids.filter((id) => !art.blocks.has(id));
            if (missing.length) this.problems.push(`block list names unknown blocks ${missing.join(', ')}`);
            art.blob = Buffer.concat(ids.map((id) => art.blocks.get(id) ?? Buffer.alloc(0)));
            res.writeHead(201, { ...headers, etag: '"0x8D0000000000001"', 'last-modified': new Date().toUTCString(), 'x-ms-request-server-encrypted': 'true' }).end();
          } else {
            art.blob = data; // single-shot Put Blob
            res.writeHead(201, { ...headers, etag: '"0x8D0000000000001"', 'last-modified': new Date().toUTCString() }).end();
          }
          return;
        }
        this.problems.push(`unexpected ${req.method} ${url.pathname}${url.search}`);
        res.writeHead(404).end();
      })();
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this.url;
  }

  private cacheTwirp(method: string, msg: Record<string, unknown>): { status: number; body: object } {
    const version = String(msg.version ?? '');
    if (method === 'GetCacheEntryDownloadURL') {
      const usable = this.caches.filter((c) => c.finalized && c.version === version);
      let hit = usable.find((c) => c.key === msg.key);
      for (const prefix of (msg.restore_keys as string[] | undefined) ?? []) {
        hit ??= usable.filter((c) => c.key.startsWith(prefix)).sort((a, b) => b.createdAt - a.createdAt || b.id - a.id)[0];
      }
      if (!hit) return { status: 200, body: { ok: false } };
      return { status: 200, body: { ok: true, signed_download_url: `${this.url}cache/${hit.id}?sig=fake`, matched_key: hit.key } };
    }
    if (method === 'CreateCacheEntry') {
      if (this.caches.some((c) => c.key === msg.key && c.version === version)) return { status: 409, body: { code: 'already_exists', msg: 'cache entry with the same key, version, and scope already exists' } };
      const entry: CacheEntry = { id: this.caches.length + 1, key: String(msg.key), version, finalized: false, createdAt: Date.now(), blocks: new Map() };
      this.caches.push(entry);
      return { status: 200, body: { ok: true, signed_upload_url: `${this.url}cache/${entry.id}?sv=2024-11-04&sig=fake` } };
    }
    if (method === 'FinalizeCacheEntryUpload') {
      const entry = this.caches.find((c) => c.key === msg.key && c.version === version);
      if (!entry) return { status: 404, body: { code: 'not_found', msg: 'cache entry not found' } };
      entry.finalized = true;
      return { status: 200, body: { ok: true, entry_id: String(entry.id) } };
    }
    this.problems.push(`twirp CacheService/${method} is not implemented by the stand-in`);
    return { status: 404, body: { code: 'bad_route', msg: method } };
  }

  private twirp(method: string, msg: Record<string, string>): { status: number; body: object } {
    const ids = (m: Record<string, string>): string[] => [m.workflow_run_backend_id ?? '', m.workflow_job_run_backend_id ?? ''];
    if (ids(msg).join() !== `${RUN_BACKEND_ID},${JOB_BACKEND_ID}`) this.problems.push(`${method}: backend ids ${ids(msg).join()} are not the token's`);
    if (method === 'CreateArtifact') {
      if (this.artifacts.some((a) => a.name === msg.name)) return { status: 409, body: { code: 'already_exists', msg: `an artifact with this name already exists on the workflow run: ${msg.name}` } };
      const art: StoredArtifact = { id: this.artifacts.length + 1, name: msg.name ?? '', runBackendId: ids(msg)[0] as string, jobBackendId: ids(msg)[1] as string, finalized: false, createdAt: new Date().toISOString(), blocks: new Map(), ...(msg.expires_at && { expiresAt: msg.expires_at }) };
      this.artifacts.push(art);
      return { status: 200, body: { ok: true, signed_upload_url: `${this.url}blob/${art.id}?sv=2024-11-04&sig=fake` } };
    }
    if (method === 'FinalizeArtifact') {
      const art = this.artifacts.find((a) => a.name === msg.name);
      if (!art) return { status: 404, body: { code: 'not_found', msg: 'artifact not found' } };
      art.finalized = true;
      if (msg.size !== undefined) art.size = msg.size;
      if (msg.hash !== undefined) art.hash = msg.hash;
      return { status: 200, body: { ok: true, artifact_id: String(art.id) } };
    }
    if (method === 'ListArtifacts') {
      const idFilter = (msg as Record<string, unknown>).id_filter as string | undefined;
      const nameFilter = (msg as Record<string, unknown>).name_filter as string | undefined;
      const list = this.artifacts.filter((a) => a.finalized && (idFilter === undefined || String(a.id) === String(idFilter)) && (nameFilter === undefined || a.name === nameFilter));
      return { status: 200, body: { artifacts: list.map((a) => ({ workflow_run_backend_id: a.runBackendId, workflow_job_run_backend_id: a.jobBackendId, database_id: String(a.id), name: a.name, size: String(a.blob?.length ?? 0), created_at: a.createdAt })) } };
    }
    if (method === 'GetSignedArtifactURL') {
      const art = this.artifacts.find((a) => a.finalized && a.name === msg.name);
      if (!art) return { status: 404, body: { code: 'not_found', msg: 'artifact not found' } };
      return { status: 200, body: { signed_url: `${this.url}blob/${art.id}?sig=fake` } };
    }
    this.problems.push(`twirp ${method} is not implemented by the stand-in`);
    return { status: 404, body: { code: 'bad_route', msg: method } };
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
