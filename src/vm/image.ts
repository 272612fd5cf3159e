// The VM machines' base image (docs/architecture.md, "VM machines"): built once by
// scripts/vm/build-image.sh (`npm run vm:image`), cached under ~/.cache/vps-test/vm keyed by the
// recipe's hash, never committed. Every VM boots a copy-on-write overlay of it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { packageRoot } from '../package-root.js';

export interface VmImage {
  dir: string;
  base: string;
  kernel: string;
  initrd: string;
}

export class VmUnavailableError extends Error {
  override name = 'VmUnavailableError';
}

export function buildScript(root = packageRoot()): string {
  return path.join(root, 'scripts', 'vm', 'build-image.sh');
}

export function depsScript(root = packageRoot()): string {
  return path.join(root, 'scripts', 'install-vm-deps.sh');
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.VPS_TEST_VM_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'vps-test', 'vm');
}

/** Where the image of this recipe lives: the same key the script computes (its first 16 hex of sha256). */
export function imageDir(recipe: Buffer, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheDir(env), `bookworm-${createHash('sha256').update(recipe).digest('hex').slice(0, 16)}`);
}

function imageAt(dir: string): VmImage {
  return { dir, base: path.join(dir, 'base.qcow2'), kernel: path.join(dir, 'vmlinuz'), initrd: path.join(dir, 'initrd.img') };
}

/** The cached image of the current recipe, or undefined when it was never built here. */
export function findImage(script = buildScript()): VmImage | undefined {
  const dir = imageDir(readFileSync(script));
  return existsSync(path.join(dir, 'ready')) ? imageAt(dir) : undefined;
}

/** Runs a script, its stderr lines as progress; resolves with its stdout. */
function runScript(script: string, onProgress: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const tail: string[] = [];
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        tail.push(line);
        if (tail.length > 10) tail.shift();
        onProgress(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new VmUnavailableError(`${path.basename(script)} failed (exit ${code}): ${tail.join(' | ')}`))));
  });
}

/**
 * The image, building it (and installing qemu, debootstrap, xorriso) when this machine lacks
 * them. Not root: an error naming what is missing and the command that makes it.
 */
export async function ensureImage(onProgress: (line: string) => void = () => undefined, options: { isRoot?: boolean; script?: string } = {}): Promise<VmImage> {
  const script = options.script ?? buildScript();
  const found = findImage(script);
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  if (found) {
    if (!isRoot) return found;
    await runScript(depsScript(), onProgress);
    return found;
  }
  if (!isRoot) throw new VmUnavailableError(`VM machines need the base image ${imageDir(readFileSync(script))}, which is not built: run \`sudo npm run vm:image\``);
  onProgress(`vm image: not cached, building it with ${script} (a few minutes, once per machine)`);
  const dir = await runScript(script, onProgress);
  return imageAt(dir);
}
