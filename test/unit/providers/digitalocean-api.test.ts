// The typed client against the fake DigitalOcean (every request and response checked against
// the official description): pagination, retry on 429 and 5xx, error messages.
import { afterEach, describe, expect, it } from 'vitest';
import { DigitalOceanApi } from '../../../src/providers/digitalocean/api.js';
import { createDoClient } from '../../../src/providers/digitalocean/client.js';
import { DigitalOceanError } from '../../../src/providers/digitalocean/errors.js';
import { FakeDigitalOcean, NoMachines, type FakeOptions } from '../../fakes/digitalocean/server.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq1B3PZxJvXr3l1ZWb5gk1W1mVl8q3vV6Fq4n0yV9yS';
let fake: FakeDigitalOcean | undefined;

async function start(options: FakeOptions = {}) {
  fake = new FakeDigitalOcean({ machines: new NoMachines(10), ...options });
  const url = await fake.start();
  const sleeps: number[] = [];
  const client = createDoClient({ token: fake.token, baseUrl: url, backoffMs: 1, sleep: async (ms) => void sleeps.push(ms) });
  return { fake, api: new DigitalOceanApi(client), client, sleeps };
}

afterEach(async () => {
  fake?.assertNoViolations();
  await fake?.close();
  fake = undefined;
});

const create = (api: DigitalOceanApi, names: string[], extra: Partial<Parameters<DigitalOceanApi['createDroplets']>[0]> = {}) =>
  api.createDroplets({ names, region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', sshKeys: [], tags: ['vps-test', 'vps-test-run-abc'], userData: '#cloud-config\n', ...extra });

describe('DigitalOcean client against the fake', () => {
  it('creates a key and 10 droplets in one request, lists them by tag across pages', async () => {
    const { api, fake } = await start({ perPage: 3 });
    const key = await api.createSshKey('vps-test-abc', KEY);
    expect(key.id).toBeTypeOf('number');
    const made = await create(api, Array.from({ length: 10 }, (_, i) => `n${i}`), { sshKeys: [key.id as number] });
    expect(made.map((d) => d.name)).toHaveLength(10);
    expect(fake.count('POST /v2/droplets')).toBe(1);
    const listed = await api.dropletsByTag('vps-test-run-abc');
    expect(listed.map((d) => d.name).sort()).toEqual(made.map((d) => d.name).sort());
    // the client asks for 200 per page: one request; the fake's small default page does not apply
    expect(fake.count('GET /v2/droplets')).toBe(1);
    expect(await api.dropletsByTag('vps-test-run-other')).toEqual([]);
    await api.deleteDropletsByTag('vps-test-run-abc');
    expect(await api.dropletsByTag('vps-test-run-abc')).toEqual([]);
    await api.deleteSshKey(key.id as number);
    expect(await api.sshKeys()).toEqual([]);
  });

  it('follows links.pages.next when a page is smaller than the list', async () => {
    const { api, fake, client } = await start();
    await create(api, Array.from({ length: 10 }, (_, i) => `p${i}`));
    await create(api, Array.from({ length: 5 }, (_, i) => `q${i}`));
    // ask with the API's default page size: the client must follow three pages
    const pages: number[] = [];
    const r = await client.api.GET('/v2/droplets', { params: { query: { tag_name: 'vps-test', per_page: 6 } } });
    expect(r.data?.droplets).toHaveLength(6);
    const { collectPages } = await import('../../../src/providers/digitalocean/client.js');
    const all = await collectPages(async (page) => {
      pages.push(page);
      const d = (await client.api.GET('/v2/droplets', { params: { query: { tag_name: 'vps-test', per_page: 6, page } } })).data;
      return { items: d?.droplets ?? [], links: d?.links };
    });
    expect(pages).toEqual([1, 2, 3]);
    expect(all).toHaveLength(15);
    expect(fake.count('GET /v2/droplets')).toBe(4);
  });

  it('waits what Retry-After says on 429, and names the limit when retries run out', async () => {
    const { api, sleeps } = await start({ rateLimit: { limit: 2, periodMs: 60_000 } });
    await api.account();
    await api.sizes();
    // third request is refused by the fake with Retry-After; the client sleeps that long and retries,
    // and the fake (still over its limit in real time) refuses again until attempts run out
    await expect(api.regions()).rejects.toThrow(/rate limit hit on GET \/v2\/regions/);
    expect(sleeps.length).toBeGreaterThan(0);
    expect(sleeps[0]).toBeGreaterThanOrEqual(50_000); // ~60 s window, from the header, not the backoff
  });

  it('retries GETs through a 5xx storm, gives up naming the operation when it lasts', async () => {
    const { api, fake, sleeps } = await start({ faults: { serverErrors: 3 } });
    expect((await api.sizes()).length).toBeGreaterThan(0);
    expect(sleeps).toEqual([1, 2, 4]);
    fake.faults.serverErrors = 100;
    await expect(api.regions()).rejects.toThrow(/GET \/v2\/regions failed \(500/);
  });

  it('does not repeat a POST that got a 5xx (it may have been applied)', async () => {
    const { api, fake } = await start({ faults: { serverErrors: 1, serverErrorsOn: 'POST /v2/droplets' } });
    await expect(create(api, ['a'])).rejects.toThrow(DigitalOceanError);
    expect(fake.count('POST /v2/droplets')).toBe(1);
  });

  it('names the token on 401 and quotes the API on 422', async () => {
    const { fake } = await start({ faults: { dropletLimit: 3 } });
    const bad = new DigitalOceanApi(createDoClient({ token: 'wrong', baseUrl: fake.url }));
    const err = (await bad.account().then(() => new Error('accepted'), (e: unknown) => e)) as Error;
    expect(err.message).toMatch(/DIGITALOCEAN_TOKEN.*401/);
    expect(err.message).not.toContain('wrong');
    const good = new DigitalOceanApi(createDoClient({ token: fake.token, baseUrl: fake.url }));
    await expect(create(good, ['a', 'b', 'c', 'd'])).rejects.toThrow(/422: .*droplet limit \(3\)/);
    await expect(create(good, ['a'], { size: 's-9vcpu-bogus' })).rejects.toThrow(/invalid size/);
  });

  it('the fake refuses a request the description forbids, loudly', async () => {
    const { fake } = await start();
    const res = await fetch(`${fake.url}/v2/droplets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ names: ['x1'], image: 'ubuntu-24-04-x64', tags: 'not-a-list' }),
    });
    expect(res.status).toBe(400);
    expect(fake.violations.join('\n')).toMatch(/droplets_create: body violates/);
    fake.violations.length = 0;
    // beyond the description, the API's own rule: at most 10 names per request
    const good = new DigitalOceanApi(createDoClient({ token: fake.token, baseUrl: fake.url }));
    await expect(good.createDroplets({ names: Array.from({ length: 11 }, (_, i) => `x${i}`), region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', sshKeys: [], tags: [], userData: '' })).rejects.toThrow(/1 to 10 names/);
  });
});
