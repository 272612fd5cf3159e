// The stage actions run from dist/ under Node 24 as the runner runs them: their refusals (no run
// id, an unknown run, an older CLI). A run crossing jobs (the soak workflow, job by job, from
// the state artifact alone) is soak-jobs.test.ts.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJob, REPO_ROOT } from '../../fakes/github/runner.js';
import { FakeDigitalOcean, NoMachines } from '../../fakes/digitalocean/server.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vt-stage-'));
  chmodSync(work, 0o755);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

// No artifact service for these: the refusals come before any download or upload.
const stageJob = (stage: string, ws: string, inputs: Record<string, string>) =>
  new FakeJob({ actionDir: join(REPO_ROOT, 'actions', stage), workspace: ws, eventName: 'workflow_dispatch', inputs });

describe('stage actions', () => {
  it('a stage other than build/provision needs the run id, and says so', async () => {
    const ws = join(work, 'no-id', 'ws');
    mkdirSync(ws, { recursive: true });
    const r = await stageJob('report', ws, {}).run('main');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::input run-id: the report action needs the run id/);
  });

  it('teardown of a run nothing is known about fails, pointing at the janitor', async () => {
    const ws = join(work, 'unknown', 'ws');
    mkdirSync(ws, { recursive: true });
    const r = await stageJob('teardown', ws, { 'run-id': 'zzzzz' }).run('main');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::teardown: nothing is known about run zzzzz here .*janitor/);
  });

  it('provision names what an older CLI lacks (--stages) instead of running the whole pipeline', async () => {
    const ws = join(work, 'prov', 'ws');
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, '.vps-test.yml'), 'project: p\nfleet:\n  nodes:\n    - { name: boot, role: bootstrap }\n    - { name: a }\n');
    const r = await new FakeJob({ actionDir: join(REPO_ROOT, 'actions', 'provision'), workspace: ws, eventName: 'workflow_dispatch', inputs: {}, env: { VPS_TEST_CLI: olderCli() } }).run('main');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::vps-test provision: this vps-test CLI has no --stages/);
    expect(existsSync(join(ws, '.vps-test'))).toBe(false);
  });
});

/** A vps-test CLI from before stages and the janitor: its help texts only (the actions read them). */
function olderCli(): string {
  const file = join(work, 'older-cli.mjs');
  writeFileSync(file, `const [cmd, flag] = process.argv.slice(2);
if (cmd === 'run' && flag === '--help') console.log('Usage: vps-test run [CONFIG] [--keep] [--baseline FILE]');
else if (cmd === '--help') console.log('Usage: vps-test <command>\\n  run      plan and run\\n  down     remove a fleet');
else { console.error('older-cli: not meant to run ' + process.argv.slice(2).join(' ')); process.exit(3); }
`);
  return file;
}

describe('janitor action', () => {
  it('deletes the expired droplets of the fake DigitalOcean with the token input, and keeps the rest', async () => {
    const fake = new FakeDigitalOcean({ machines: new NoMachines(1) });
    await fake.start();
    try {
      const now = Math.floor(Date.now() / 1000);
      const mk = (names: string[], tags: string[]) => fake.account.createDroplets({ names, size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', sshKeys: [], tags });
      mk(['vt-old1-a'], ['vps-test', 'vps-test-run-old1', `vps-test-expires-${now - 60}`]);
      mk(['vt-new1-a'], ['vps-test', 'vps-test-run-new1', `vps-test-expires-${now + 3600}`]);
      const ws = join(work, 'janitor-do', 'ws');
      mkdirSync(ws, { recursive: true });
      const r = await new FakeJob({ actionDir: join(REPO_ROOT, 'actions', 'janitor'), workspace: ws, eventName: 'schedule', inputs: { 'digitalocean-token': fake.token }, env: { DIGITALOCEAN_API_URL: fake.url } }).run('main');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect([...fake.account.droplets.values()].map((d) => d.name)).toEqual(['vt-new1-a']);
      expect(r.stdout).toMatch(/deleted 1 expired resource\(s\); kept 1/);
      // the token is only in the runner's mask command (the runner hides it from the log)
      expect(r.stdout).toMatch(/^::add-mask::/m);
      expect((r.stdout + r.stderr).replace(/^::add-mask::.*$/gm, '')).not.toContain(fake.token);
      fake.assertNoViolations();
    } finally {
      await fake.close();
    }
  });

  it('with a CLI that has no janitor command it fails saying nothing was swept', async () => {
    const ws = join(work, 'janitor', 'ws');
    mkdirSync(ws, { recursive: true });
    const r = await new FakeJob({ actionDir: join(REPO_ROOT, 'actions', 'janitor'), workspace: ws, eventName: 'workflow_dispatch', inputs: {}, env: { VPS_TEST_CLI: olderCli() } }).run('main');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::janitor: this vps-test CLI has no `janitor` command yet; nothing was swept/);
  });
});
