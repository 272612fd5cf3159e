// The fake DigitalOcean started on its own, as a user would for a dry run.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';

describe('npm run fake:digitalocean', () => {
  it('prints its base URL and token, answers the API, stops on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/fakes/digitalocean/main.ts'), '--port', '0', '--no-machines', '--token', 't0k'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    for (let i = 0; i < 300 && !/DIGITALOCEAN_TOKEN=/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    const url = /DIGITALOCEAN_API_URL=(\S+)/.exec(out)?.[1];
    expect(url, out).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out).toContain('DIGITALOCEAN_TOKEN=t0k');
    const res = await fetch(`${url}/v2/account`, { headers: { authorization: 'Bearer t0k' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { account: { droplet_limit: number } }).account.droplet_limit).toBe(25);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 60_000);
});
