// Claims one internet /24 per lab, atomically, across processes: `mkdir <dir>/<index>` either
// succeeds (ours) or fails (someone else's). Released by destroyLab. A claim whose run has no
// namespaces left and that is older than a grace period is stale (its creator died before
// cleaning up) and may be taken over; removals happen under a lock so a takeover never
// removes a fresh claim.
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SUBNET_COUNT, subnetIndexOf } from './addresses.js';

export const DEFAULT_CLAIM_DIR = '/run/vps-test/subnets';

export interface SubnetClaim {
  index: number;
  runId: string;
  pid: number;
  createdAt: number;
}

export interface ClaimOptions {
  dir?: string;
  /** Whether a run still has namespaces (a claim of a run with none may be stale). */
  runHasNamespaces: (runId: string) => Promise<boolean>;
  /** IPv4 addresses configured in the root namespace; their /24s are never claimed. */
  rootAddresses?: () => Promise<string[]>;
  staleAfterMs?: number;
  now?: () => number;
}

const DEFAULT_STALE_AFTER_MS = 120_000;
const LOCK_STALE_MS = 10_000;

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function readClaim(dir: string, index: number): Promise<SubnetClaim | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path.join(dir, String(index), 'owner.json'), 'utf8')) as Partial<SubnetClaim>;
    if (typeof parsed.runId !== 'string') return undefined;
    return { index, runId: parsed.runId, pid: Number(parsed.pid ?? 0), createdAt: Number(parsed.createdAt ?? 0) };
  } catch {
    return undefined;
  }
}

export async function listSubnetClaims(dir = DEFAULT_CLAIM_DIR): Promise<SubnetClaim[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return [];
    throw err;
  }
  const claims: SubnetClaim[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const claim = await readClaim(dir, Number(entry));
    if (claim) claims.push(claim);
  }
  return claims.sort((a, b) => a.index - b.index);
}

/** A short mutual-exclusion section between processes (mkdir lock, broken when abandoned). */
async function withLock<T>(dir: string, now: () => number, body: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, '.lock');
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw err;
      const age = await stat(lock).then((s) => now() - s.mtimeMs, () => 0);
      if (age > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for the subnet lock ${lock}`);
      else await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    return await body();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function isStale(dir: string, index: number, options: ClaimOptions, now: number): Promise<boolean> {
  const staleAfter = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const claim = await readClaim(dir, index);
  if (!claim) {
    // Owner file missing: a claim being written right now, or a crash between mkdir and write.
    const mtime = await stat(path.join(dir, String(index))).then((s) => s.mtimeMs, () => undefined);
    return mtime !== undefined && now - mtime > staleAfter;
  }
  if (now - claim.createdAt <= staleAfter) return false;
  return !(await options.runHasNamespaces(claim.runId));
}

async function tryMkdirClaim(dir: string, index: number, runId: string, now: number): Promise<boolean> {
  try {
    await mkdir(path.join(dir, String(index)));
  } catch (err) {
    if (errCode(err) === 'EEXIST') return false;
    throw err;
  }
  const claim: Omit<SubnetClaim, 'index'> = { runId, pid: process.pid, createdAt: now };
  await writeFile(path.join(dir, String(index), 'owner.json'), `${JSON.stringify(claim)}\n`);
  return true;
}

/** Claims a free /24 index for `runId` (0..511), taking over stale claims when all are taken. */
export async function claimSubnet(runId: string, options: ClaimOptions): Promise<number> {
  const dir = options.dir ?? DEFAULT_CLAIM_DIR;
  const now = options.now ?? Date.now;
  await mkdir(dir, { recursive: true });
  const inUse = new Set<number>();
  for (const addr of (await options.rootAddresses?.()) ?? []) {
    const index = subnetIndexOf(addr);
    if (index !== undefined) inUse.add(index);
  }
  const existing = new Set((await readdir(dir)).filter((e) => /^\d+$/.test(e)).map(Number));
  for (let index = 0; index < SUBNET_COUNT; index++) {
    if (inUse.has(index) || existing.has(index)) continue;
    if (await tryMkdirClaim(dir, index, runId, now())) return index;
  }
  // Every free one is gone: take over a stale claim, under the lock.
  const taken = await withLock(dir, now, async () => {
    for (const index of [...existing].sort((a, b) => a - b)) {
      if (inUse.has(index) || !(await isStale(dir, index, options, now()))) continue;
      await rm(path.join(dir, String(index)), { recursive: true, force: true });
      if (await tryMkdirClaim(dir, index, runId, now())) return index;
    }
    return undefined;
  });
  if (taken !== undefined) return taken;
  throw new Error(`no free lab subnet in 198.18.0.0/15: all ${SUBNET_COUNT} are claimed (see ${dir}); destroy old labs with \`vps-test down\``);
}

/** Releases every claim held by `runId`; returns the released indices. */
export async function releaseSubnets(runId: string, options: { dir?: string; now?: () => number } = {}): Promise<number[]> {
  const dir = options.dir ?? DEFAULT_CLAIM_DIR;
  const mine = (await listSubnetClaims(dir)).filter((c) => c.runId === runId);
  if (mine.length === 0) return [];
  return withLock(dir, options.now ?? Date.now, async () => {
    const released: number[] = [];
    for (const claim of mine) {
      // re-read under the lock: only remove it if it is still ours
      if ((await readClaim(dir, claim.index))?.runId !== runId) continue;
      await rm(path.join(dir, String(claim.index)), { recursive: true, force: true });
      released.push(claim.index);
    }
    return released;
  });
}
