// The DigitalOcean API client: openapi-fetch over the generated types, with our own retry
// (429 + Retry-After; 5xx and network errors with exponential backoff, for requests that are
// safe to repeat), the account's rate limits, pagination and per-kind request counts.
// See docs/architecture.md, "DigitalOcean".
import createClient from 'openapi-fetch';
import type { paths } from './api.generated.js';
import { DigitalOceanError, describeApiError, type ApiErrorBody } from './errors.js';
import { RateLimiter } from './rate-limit.js';

export const DEFAULT_API_URL = 'https://api.digitalocean.com';

export interface ClientOptions {
  token: string;
  baseUrl?: string;
  fetch?: (request: Request) => Promise<Response>;
  limiter?: RateLimiter;
  sleep?: (ms: number) => Promise<void>;
  /** Attempts per request including the first (default 6). */
  attempts?: number;
  /** First backoff (doubles each attempt, capped at 30 s). Default 500 ms. */
  backoffMs?: number;
  log?: (line: string) => void;
}

export type Api = ReturnType<typeof createClient<paths>>;

export interface DoClient {
  api: Api;
  /** Requests sent, by "METHOD /path-template" (retries included). */
  counts: Map<string, number>;
}

/** The token from the environment; refused early, without echoing anything of it. */
export function tokenFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const token = env.DIGITALOCEAN_TOKEN?.trim();
  if (!token) throw new DigitalOceanError('provider digitalocean needs an API token: export DIGITALOCEAN_TOKEN (scopes: droplet, ssh_key, tag, regions, sizes, account)', 0, 'setup');
  return token;
}

export function apiUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return (env.DIGITALOCEAN_API_URL?.trim() || DEFAULT_API_URL).replace(/\/+$/, '');
}

/** Seconds (or an HTTP date) from Retry-After, else DO's ratelimit-reset (unix seconds). */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const after = headers.get('retry-after');
  if (after) {
    if (/^\d+(\.\d+)?$/.test(after.trim())) return Number(after) * 1000;
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headers.get('ratelimit-reset');
  if (reset && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now);
  return undefined;
}

/** Template of a path ("/v2/droplets/123" -> "/v2/droplets/{id}") for counts and messages. */
export function operationKind(method: string, pathname: string): string {
  return `${method} ${pathname.replace(/\/v2\/(droplets|account\/keys)\/[^/]+/, (_m, what: string) => `/v2/${what}/{id}`)}`;
}

const SAFE_TO_REPEAT = new Set(['GET', 'DELETE', 'HEAD']);

export function createDoClient(options: ClientOptions): DoClient {
  const baseFetch = options.fetch ?? ((r: Request) => fetch(r));
  const limiter = options.limiter ?? new RateLimiter();
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = options.attempts ?? 6;
  const backoff = (i: number) => Math.min(30_000, (options.backoffMs ?? 500) * 2 ** i);
  const counts = new Map<string, number>();

  const retryingFetch = async (request: Request): Promise<Response> => {
    const kind = operationKind(request.method, new URL(request.url).pathname);
    for (let attempt = 1; ; attempt++) {
      await limiter.take();
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      const last = attempt >= attempts;
      let response: Response;
      try {
        response = await baseFetch(request.clone());
      } catch (err) {
        // A POST that never got an answer may have been applied: the caller reconciles.
        if (last || !SAFE_TO_REPEAT.has(request.method)) {
          throw new DigitalOceanError(`DigitalOcean ${kind}: ${err instanceof Error ? err.message : String(err)} (after ${attempt} attempt(s))`, 0, kind);
        }
        options.log?.(`digitalocean: ${kind} network error, retrying in ${backoff(attempt - 1)} ms`);
        await sleep(backoff(attempt - 1));
        continue;
      }
      if (last) return response;
      if (response.status === 429) {
        // 429 is refused before processing: repeating is safe for every method
        const wait = retryAfterMs(response.headers) ?? backoff(attempt - 1);
        options.log?.(`digitalocean: rate limited on ${kind}, retrying in ${wait} ms`);
        await response.body?.cancel();
        await sleep(wait);
        continue;
      }
      if (response.status >= 500 && SAFE_TO_REPEAT.has(request.method)) {
        options.log?.(`digitalocean: ${kind} answered ${response.status}, retrying in ${backoff(attempt - 1)} ms`);
        await response.body?.cancel();
        await sleep(backoff(attempt - 1));
        continue;
      }
      return response;
    }
  };

  const api = createClient<paths>({
    baseUrl: options.baseUrl ?? DEFAULT_API_URL,
    fetch: retryingFetch,
    headers: { Authorization: `Bearer ${options.token}`, 'Content-Type': 'application/json' },
  });
  return { api, counts };
}

/** Throws a DigitalOceanError for a failed openapi-fetch result; returns its data otherwise. */
export function unwrap<T>(operation: string, result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok && result.data !== undefined) return result.data;
  if (result.response.ok && result.response.status === 204) return undefined as T;
  const body = (result.error ?? undefined) as ApiErrorBody | undefined;
  throw new DigitalOceanError(describeApiError(operation, result.response.status, body), result.response.status, operation, body?.id);
}

/** The page number in links.pages.next, or undefined at the last page. */
export function nextPage(links: { pages?: unknown } | undefined): number | undefined {
  const pages = links?.pages;
  const next = pages && typeof pages === 'object' && 'next' in pages ? (pages as { next?: unknown }).next : undefined;
  if (typeof next !== 'string' || !next) return undefined;
  const page = new URL(next, 'http://x').searchParams.get('page');
  return page && /^\d+$/.test(page) ? Number(page) : undefined;
}

/** Every item of a paginated list: follows links.pages.next until there is none. */
export async function collectPages<T>(fetchPage: (page: number) => Promise<{ items: T[]; links?: Parameters<typeof nextPage>[0] }>): Promise<T[]> {
  const all: T[] = [];
  const seen = new Set<number>();
  for (let page: number | undefined = 1; page !== undefined; ) {
    if (seen.has(page)) throw new Error(`DigitalOcean pagination loops at page ${page}`);
    seen.add(page);
    const { items, links } = await fetchPage(page);
    all.push(...items);
    page = nextPage(links);
  }
  return all;
}
