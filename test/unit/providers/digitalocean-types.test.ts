// The checked-in generated types match a fresh generation from the official description, and
// the rate limiter keeps DigitalOcean's per-minute and per-hour limits on our side.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generateTypes, TYPES_FILE } from '../../../scripts/digitalocean/generate-types.js';
import { usedSubset } from '../../../scripts/digitalocean/spec.js';
import { RateLimiter } from '../../../src/providers/digitalocean/rate-limit.js';
import { nextPage, operationKind, retryAfterMs } from '../../../src/providers/digitalocean/client.js';

describe('generated DigitalOcean types', () => {
  it('match the generator output (run npm run gen:digitalocean when this fails)', async () => {
    expect(await readFile(TYPES_FILE, 'utf8')).toBe(await generateTypes());
  }, 60_000);

  it('the subset is fully dereferenced and has the operations we call', () => {
    const text = JSON.stringify(usedSubset());
    expect(text).not.toContain('"$ref"');
    for (const op of ['droplets_create', 'droplets_list', 'droplets_destroy_byTag', 'sshKeys_create', 'sshKeys_delete', 'sizes_list', 'regions_list', 'account_get']) {
      expect(text).toContain(`"operationId":"${op}"`);
    }
  });
});

describe('rate limiter', () => {
  it('lets 250 requests through in a minute and makes the 251st wait for the oldest to expire', async () => {
    let now = 1_000_000;
    const slept: number[] = [];
    const limiter = new RateLimiter(undefined, () => now, async (ms) => {
      slept.push(ms);
      now += ms;
    });
    for (let i = 0; i < 250; i++) {
      await limiter.take();
      now += 10;
    }
    expect(slept).toEqual([]);
    await limiter.take();
    expect(slept).toEqual([60_000 - 2500]);
  });

  it('keeps the hourly limit too', () => {
    let now = 0;
    const limiter = new RateLimiter([{ limit: 2, periodMs: 60_000 }, { limit: 3, periodMs: 3_600_000 }], () => now);
    return (async () => {
      await limiter.take();
      await limiter.take();
      now = 61_000;
      await limiter.take();
      now = 122_000;
      expect(limiter.delayMs()).toBe(3_600_000 - 122_000);
    })();
  });
});

describe('client helpers', () => {
  it('reads Retry-After in seconds or as a date, else ratelimit-reset', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '7' }))).toBe(7000);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4000)).toBe(6000);
    expect(retryAfterMs(new Headers({ 'ratelimit-reset': '20' }), 5000)).toBe(15_000);
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
  it('follows links.pages.next by page number and names operations by template', () => {
    expect(nextPage({ pages: { next: 'https://api.digitalocean.com/v2/droplets?page=3&per_page=20' } })).toBe(3);
    expect(nextPage({ pages: {} })).toBeUndefined();
    expect(operationKind('DELETE', '/v2/droplets/123')).toBe('DELETE /v2/droplets/{id}');
  });
});
