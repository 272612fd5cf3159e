// A fake DigitalOcean API: stateful, rate limited, with injectable faults, and every request
// and response validated against the official description (a violation answers 500 with the
// reason, is recorded in `violations` and printed to stderr: it must never pass silently).
// Droplets are handed to a MachineBackend (real lab machines, or none for benchmarks).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { REGIONS, SIZES } from './catalog.js';
import { ApiRefusal, FakeAccount, renderDroplet, type FakeDroplet } from './state.js';
import { SpecValidator, SpecViolation } from './validator.js';

export interface MachineBackend {
  /** Boots the droplet's machine; resolves with its public IPv4 once it is up. */
  boot(droplet: FakeDroplet, authorizedKeys: string[], options: { reachable: boolean }): Promise<string>;
  destroy(droplet: FakeDroplet): Promise<void>;
  close(): Promise<void>;
}

/** No machines: droplets get a documentation address and become active after a delay. */
export class NoMachines implements MachineBackend {
  private next = 10;
  constructor(private readonly bootMs = 200) {}
  async boot(): Promise<string> {
    await new Promise((r) => setTimeout(r, this.bootMs));
    const n = this.next++;
    return `198.51.${100 + Math.floor(n / 250)}.${(n % 250) + 1}`;
  }
  async destroy(): Promise<void> {}
  async close(): Promise<void> {}
}

export interface Faults {
  /** The next N requests (matching `serverErrorsOn`, default any) answer 500. */
  serverErrors?: number;
  serverErrorsOn?: string;
  /** Total droplets the account may hold (422 beyond). */
  dropletLimit?: number;
  /** The next N droplet creations are applied, then answered 500 (a lost answer). */
  lostCreateAnswers?: number;
  /** Droplets whose name contains this never become reachable (active, no sshd). */
  unreachableName?: string;
}

export interface FakeOptions {
  token?: string;
  machines?: MachineBackend;
  /** Requests per window before 429 (default 250 per 60 s, as the real API). */
  rateLimit?: { limit: number; periodMs: number };
  faults?: Faults;
  /** Default page size (the real API's is 20). */
  perPage?: number;
}

export class FakeDigitalOcean {
  readonly account: FakeAccount;
  readonly token: string;
  readonly violations: string[] = [];
  /** Requests by "METHOD /template" (including refused ones). */
  readonly counts = new Map<string, number>();
  readonly faults: Faults;
  private readonly validator = new SpecValidator();
  private readonly machines: MachineBackend;
  private readonly sent: number[] = [];
  private readonly boots = new Set<Promise<unknown>>();
  private server?: http.Server;
  url = '';

  constructor(private readonly options: FakeOptions = {}) {
    this.token = options.token ?? 'fake-do-token';
    this.machines = options.machines ?? new NoMachines();
    this.faults = { ...(options.faults ?? {}) };
    this.account = new FakeAccount(this.faults.dropletLimit ?? 25);
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(port, host, resolve));
    const addr = this.server.address() as AddressInfo;
    this.url = `http://${host}:${addr.port}`;
    return this.url;
  }

  /** Stops serving and destroys every machine still standing. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    await Promise.allSettled([...this.boots]);
    for (const d of this.account.droplets.values()) await this.machines.destroy(d).catch(() => undefined);
    await this.machines.close();
  }

  assertNoViolations(): void {
    if (this.violations.length > 0) throw new Error(`fake DigitalOcean saw ${this.violations.length} spec violation(s):\n${this.violations.join('\n')}`);
  }

  count(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }

  private violation(text: string): void {
    this.violations.push(text);
    console.error(`fake DigitalOcean: ${text}`);
  }

  private rateLimited(now: number): number | undefined {
    const { limit, periodMs } = this.options.rateLimit ?? { limit: 250, periodMs: 60_000 };
    while (this.sent.length > 0 && (this.sent[0] as number) <= now - periodMs) this.sent.shift();
    if (this.sent.length >= limit) return Math.ceil(((this.sent[0] as number) + periodMs - now) / 1000);
    this.sent.push(now);
    return undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (url.pathname.startsWith('/_fake/')) return this.control(url, req.method ?? 'GET', raw, res);

    const match = this.validator.match(req.method ?? 'GET', url.pathname);
    const kind = `${req.method} ${match?.template ?? url.pathname}`;
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      if (match) {
        try {
          this.validator.validateResponse(match.operation, status, body);
        } catch (err) {
          this.violation(`${kind}: ${(err as Error).message}`);
          status = 500;
          body = { id: 'fake_spec_violation', message: (err as Error).message };
        }
      }
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), 'ratelimit-limit': '5000', ...headers });
      res.end(text);
    };
    if (!match) {
      this.violation(`${kind}: not an operation vps-test uses (or not in the description)`);
      return send(404, { id: 'not_found', message: `fake: no operation ${kind}` });
    }
    if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, { id: 'unauthorized', message: 'Unable to authenticate you' });
    const wait = this.rateLimited(Date.now());
    if (wait !== undefined) return send(429, { id: 'too_many_requests', message: 'API rate limit exceeded' }, { 'retry-after': String(wait) });
    if ((this.faults.serverErrors ?? 0) > 0 && (!this.faults.serverErrorsOn || kind.includes(this.faults.serverErrorsOn))) {
      this.faults.serverErrors = (this.faults.serverErrors ?? 0) - 1;
      return send(500, { id: 'server_error', message: 'Server Error (injected)' });
    }
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
      this.validator.validateRequest(match.operation, Object.fromEntries(url.searchParams), match.pathParams, body);
    } catch (err) {
      this.violation(`${kind}: ${(err as Error).message}`);
      return send(400, { id: 'bad_request', message: (err as Error).message });
    }
    try {
      const [status, out] = await this.route(match.operation.operationId, url, match.pathParams, body as Record<string, unknown>);
      send(status, out);
    } catch (err) {
      if (err instanceof ApiRefusal) return send(err.status, { id: err.id, message: err.message });
      if (err instanceof SpecViolation) this.violation(`${kind}: ${err.message}`);
      send(500, { id: 'server_error', message: String(err) });
    }
  }

  private page<T>(url: URL, key: string, items: T[]): Record<string, unknown> {
    const perPage = Math.min(200, Number(url.searchParams.get('per_page') ?? this.options.perPage ?? 20));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number) => {
      const u = new URL(url);
      u.searchParams.set('page', String(p));
      u.searchParams.set('per_page', String(perPage));
      return u.toString();
    };
    const pages: Record<string, string> = {};
    if (page > 1) Object.assign(pages, { first: link(1), prev: link(page - 1) });
    if (page < last) Object.assign(pages, { next: link(page + 1), last: link(last) });
    return { [key]: items.slice((page - 1) * perPage, page * perPage), links: { pages }, meta: { total: items.length } };
  }

  private async route(op: string, url: URL, params: Record<string, string>, body: Record<string, unknown>): Promise<[number, unknown?]> {
    const a = this.account;
    switch (op) {
      case 'account_get':
        return [200, { account: { droplet_limit: a.dropletLimit, floating_ip_limit: 3, email: 'fake@example.com', name: 'fake', uuid: '00000000-0000-4000-8000-000000000000', email_verified: true, status: 'active', status_message: '', team: { uuid: '00000000-0000-4000-8000-000000000001', name: 'fake team' } } }];
      case 'sizes_list':
        return [200, this.page(url, 'sizes', SIZES)];
      case 'regions_list':
        return [200, this.page(url, 'regions', REGIONS)];
      case 'sshKeys_list':
        return [200, this.page(url, 'ssh_keys', [...a.keys.values()])];
      case 'sshKeys_create':
        return [201, { ssh_key: a.createKey(String(body.name), String(body.public_key)) }];
      case 'sshKeys_get': {
        const key = a.keyBy(params.ssh_key_identifier ?? '');
        return key ? [200, { ssh_key: key }] : [404, { id: 'not_found', message: 'The resource you were accessing could not be found.' }];
      }
      case 'sshKeys_delete': {
        const key = a.keyBy(params.ssh_key_identifier ?? '');
        if (!key) return [404, { id: 'not_found', message: 'The resource you were accessing could not be found.' }];
        a.keys.delete(key.id);
        return [204];
      }
      case 'droplets_create':
        return this.create(body);
      case 'droplets_list': {
        const tag = url.searchParams.get('tag_name');
        const all = tag ? a.byTag(tag) : [...a.droplets.values()];
        return [200, this.page(url, 'droplets', all.map(renderDroplet))];
      }
      case 'droplets_get': {
        const d = a.droplets.get(Number(params.droplet_id));
        return d ? [200, { droplet: renderDroplet(d) }] : [404, { id: 'not_found', message: 'The resource you were accessing could not be found.' }];
      }
      case 'droplets_destroy': {
        const d = a.droplets.get(Number(params.droplet_id));
        if (!d) return [404, { id: 'not_found', message: 'The resource you were accessing could not be found.' }];
        await this.destroy([d]);
        return [204];
      }
      case 'droplets_destroy_byTag':
        await this.destroy(a.byTag(url.searchParams.get('tag_name') ?? ''));
        return [204];
      default:
        throw new SpecViolation(`fake has no handler for ${op}`);
    }
  }

  private create(body: Record<string, unknown>): [number, unknown] {
    const names = Array.isArray(body.names) ? (body.names as string[]) : [String(body.name)];
    this.account.dropletLimit = this.faults.dropletLimit ?? this.account.dropletLimit;
    const created = this.account.createDroplets({
      names,
      ...(typeof body.region === 'string' ? { region: body.region } : {}),
      size: String(body.size),
      image: body.image as string | number,
      sshKeys: (body.ssh_keys as (string | number)[] | undefined) ?? [],
      tags: (body.tags as string[] | null | undefined) ?? [],
      ...(typeof body.user_data === 'string' ? { userData: body.user_data } : {}),
    });
    for (const d of created) {
      const keys = d.sshKeyIds.map((id) => this.account.keys.get(id)?.public_key ?? '').filter(Boolean);
      const reachable = !(this.faults.unreachableName && d.name.includes(this.faults.unreachableName));
      const boot = this.machines
        .boot(d, keys, { reachable })
        .then((ip) => {
          if (this.account.droplets.get(d.id) !== d) return; // destroyed while booting
          d.ipv4 = ip;
          d.status = 'active';
        })
        .catch((err: unknown) => this.violation(`droplet ${d.name}: machine failed to boot: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => this.boots.delete(boot));
      this.boots.add(boot);
    }
    if ((this.faults.lostCreateAnswers ?? 0) > 0) {
      this.faults.lostCreateAnswers = (this.faults.lostCreateAnswers ?? 0) - 1;
      return [500, { id: 'server_error', message: 'Server Error (injected after the droplets were created)' }];
    }
    const links = { actions: created.map((d, i) => ({ id: 9_000_000 + d.id + i, rel: 'create', href: `${this.url}/v2/actions/${d.id}` })) };
    return body.names ? [202, { droplets: created.map(renderDroplet), links }] : [202, { droplet: renderDroplet(created[0] as FakeDroplet), links: { actions: links.actions } }];
  }

  private async destroy(droplets: FakeDroplet[]): Promise<void> {
    for (const d of droplets) this.account.droplets.delete(d.id);
    // A machine still booting is destroyed once its boot settles.
    await Promise.allSettled([...this.boots]);
    await Promise.all(droplets.map((d) => this.machines.destroy(d)));
  }

  /** Test and CLI control: /_fake/state (GET), /_fake/faults (POST JSON Faults). Not DigitalOcean. */
  private control(url: URL, method: string, raw: string, res: http.ServerResponse): void {
    if (url.pathname === '/_fake/faults' && method === 'POST') Object.assign(this.faults, JSON.parse(raw || '{}') as Faults);
    const state = {
      droplets: [...this.account.droplets.values()].map((d) => ({ id: d.id, name: d.name, status: d.status, tags: d.tags, ipv4: d.ipv4 })),
      ssh_keys: [...this.account.keys.values()].map((k) => ({ id: k.id, name: k.name })),
      counts: Object.fromEntries(this.counts),
      violations: this.violations,
      faults: this.faults,
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(state));
  }
}
