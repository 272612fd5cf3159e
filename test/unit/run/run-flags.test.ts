// `vps-test run` flags for stages as units: bad combinations are refused before anything runs,
// with a message naming what to do instead.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { RunStateFile } from '../../../src/run/state.js';
import { RunRegistry } from '../../../src/run/registry.js';
import { workDir } from './helpers.js';

const root = workDir('vt-flags-');
const saved = process.env.VPS_TEST_STATE_DIR;
beforeAll(() => {
  process.env.VPS_TEST_STATE_DIR = join(root, 'registry');
  mkdirSync(join(root, 'runs'), { recursive: true });
  const run = RunStateFile.create(join(root, 'runs'), { runId: 'flagrun', configPath: 'c', project: 'p', provider: 'local', keep: false }, new RunRegistry(join(root, 'registry')));
  for (const s of ['plan', 'build', 'provision', 'deploy', 'test', 'evaluate', 'report', 'teardown'] as const) run.end(run.begin(s), 'done');
});
afterAll(() => {
  if (saved === undefined) delete process.env.VPS_TEST_STATE_DIR;
  else process.env.VPS_TEST_STATE_DIR = saved;
  rmSync(root, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; err: string; out: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const e = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const o = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  try {
    return { code: await main(argv), err: err.join('\n'), out: out.join('\n') };
  } finally {
    e.mockRestore();
    o.mockRestore();
  }
}

describe('run --stages / --run / --resume / --run-id', () => {
  it('refuses bad combinations with exit 2 and a message', async () => {
    expect(await cli('run', '--run', 'flagrun')).toMatchObject({ code: 2, err: expect.stringMatching(/--run ID needs --stages/) });
    expect(await cli('run', '--resume', 'flagrun', '--stages', 'test')).toMatchObject({ code: 2, err: expect.stringMatching(/--resume picks the stages itself/) });
    expect(await cli('run', '--run', 'flagrun', '--resume', 'flagrun')).toMatchObject({ code: 2, err: expect.stringMatching(/exclude each other/) });
    expect(await cli('run', '--run', 'nosuch', '--stages', 'test')).toMatchObject({ code: 2, err: expect.stringMatching(/no run 'nosuch'/) });
    expect(await cli('run', '--run-id', 'Bad_Id', '--yes')).toMatchObject({ code: 2, err: expect.stringMatching(/--run-id: run id 'Bad_Id'/) });
    expect(await cli('run', '--stages', 'tset')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown stage 'tset'/) });
    expect(await cli('run', '--stages', 'test', '--yes')).toMatchObject({ code: 2, err: expect.stringMatching(/test needs the outputs of deploy/) });
    expect(await cli('run', '--run', 'flagrun', '--stages', 'test')).toMatchObject({ code: 2, err: expect.stringMatching(/no fleet up/) });
    expect(await cli('run', '--run-id', 'flagrun', '--yes')).toMatchObject({ code: 2, err: expect.stringMatching(/run flagrun exists already/) });
  });

  it('status lists the run from the registry, by id and as JSON', async () => {
    const all = await cli('status');
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/^RUN\s+CONDITION\s+STAGE/m);
    expect(all.out).toMatch(/flagrun\s+finished\s+teardown \(done\)/);
    const one = await cli('status', 'flagrun', '--json');
    expect(JSON.parse(one.out)).toMatchObject({ runId: 'flagrun', condition: 'finished', fleetUp: false, stages: expect.any(Array) });
    expect(await cli('status', 'nosuch')).toMatchObject({ code: 2, err: expect.stringMatching(/no run 'nosuch'/) });
  });

  it('has nothing to resume on a run that is done and down', async () => {
    expect(await cli('run', '--resume', 'flagrun')).toMatchObject({ code: 0, out: expect.stringMatching(/nothing left to resume/) });
  });
});
