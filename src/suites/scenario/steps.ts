// One handler per step kind (docs/architecture.md "Scenarios"). Each returns one outcome per
// node it acted on; the engine turns them into the step's result.
import type { ScenarioStep } from '../../config/scenario.js';
import type { FleetNode } from '../../fleet/types.js';
import { servicePaths } from '../../deploy/index.js';
import { shellQuote } from '../../ssh/index.js';
import { planPartition, renderHealScript, renderPartitionScript, parseDroppedPackets, PARTITION_TABLE } from '../../lab/recipes/partition.js';
import { captureValue, countMatchingLines, judgeCount, judgeHttp, judgeRun, outputTail, parseCurlOutput } from './expect.js';
import { parseSeenPackets, renderSeenReadScript, renderSeenScript, selfCommandReason } from './guard.js';
import { addressesOf, expanderFor, inWorkdir, resolveOne, resolveTarget } from './targets.js';
import { processName, type EngineContext, type NodeOutcome, type ScenarioState } from './state.js';

type Spec<K extends ScenarioStep['kind']> = Extract<ScenarioStep, { kind: K }>['spec'];

const RUN_TIMEOUT_MS = 60_000;
const HTTP_TIMEOUT_MS = 10_000;
const MACHINE_TIMEOUT_MS = 20_000;

const each = <T>(nodes: FleetNode[], work: (node: FleetNode) => Promise<T>): Promise<T[]> => Promise.all(nodes.map(work));
async function eachInTurn<T>(nodes: FleetNode[], work: (node: FleetNode) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (const node of nodes) out.push(await work(node));
  return out;
}

async function machine(ctx: EngineContext, node: FleetNode, script: string, what: string): Promise<string> {
  const r = await ctx.io.exec(node, script, { asNode: false, timeoutMs: MACHINE_TIMEOUT_MS });
  if (r.code !== 0 || r.timedOut) throw new Error(`${what} on ${node.name} failed: ${r.timedOut ? 'timed out' : r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

export async function runStep(ctx: EngineContext, state: ScenarioState, spec: Spec<'run'>): Promise<NodeOutcome[]> {
  const expand = expanderFor(ctx.fleet, ctx.binPath, state.vars);
  const peer = spec.peer !== undefined ? resolveOne(ctx.fleet, spec.peer, 'peer') : undefined;
  const timeoutMs = spec.timeout ?? (spec.expect?.within !== undefined ? spec.expect.within + 5000 : RUN_TIMEOUT_MS);
  // With a peer, callers go one at a time: the peer's packet counter is per step.
  const forEach = peer ? eachInTurn : each;
  return forEach(resolveTarget(ctx.fleet, spec.on), async (node) => {
    const command = expand(node, spec.cmd);
    if (peer) {
      if (peer.name === node.name) return { node: node.name, ok: false, command, reason: `self-command: ${node.name} is the peer it is meant to reach` };
      const self = selfCommandReason(node.name, peer.name, spec.cmd, command, state.identities);
      if (self) return { node: node.name, ok: false, command, reason: self };
    }
    const counting = peer && ctx.nft;
    if (counting) await machine(ctx, peer, renderSeenScript(addressesOf(node)), 'path evidence counter');
    const started = ctx.io.now();
    const r = await ctx.io.exec(node, inWorkdir(node, command), { asNode: true, timeoutMs, ...(ctx.signal && { signal: ctx.signal }) });
    const durationMs = ctx.io.now() - started;
    const outcome: NodeOutcome = { node: node.name, ok: true, command, exit: r.code, output: outputTail(r.stdout, r.stderr) };
    const reason = judgeRun({ ...r, durationMs, timeoutMs }, spec.expect);
    if (peer && !ctx.nft) outcome.output = `${outcome.output ?? ''}\n(no path evidence: nft is not available on the machines)`.trim();
    if (counting) {
      const packets = parseSeenPackets(await machine(ctx, peer, renderSeenReadScript(), 'path evidence counter'));
      outcome.peerPackets = packets ?? 0;
      if (!reason && !packets) {
        return { ...outcome, ok: false, reason: `self-command: ${peer.name} never saw traffic from ${node.name} while the command ran (0 packets at ${peer.name}'s machine); it did not reach the other machine` };
      }
    }
    return reason ? { ...outcome, ok: false, reason } : outcome;
  });
}

export async function captureStep(ctx: EngineContext, state: ScenarioState, spec: Spec<'capture'>, index: number): Promise<NodeOutcome[]> {
  const node = resolveOne(ctx.fleet, spec.on, 'capture');
  const command = expanderFor(ctx.fleet, ctx.binPath, state.vars)(node, spec.cmd);
  const timeoutMs = spec.timeout ?? RUN_TIMEOUT_MS;
  const r = await ctx.io.exec(node, inWorkdir(node, command), { asNode: true, timeoutMs, ...(ctx.signal && { signal: ctx.signal }) });
  const base: NodeOutcome = { node: node.name, ok: false, command, exit: r.code, output: outputTail(r.stdout, r.stderr) };
  const failed = judgeRun({ ...r, durationMs: 0, timeoutMs });
  if (failed) return [{ ...base, reason: failed }];
  const value = captureValue(spec.regex, r.stdout, r.stderr);
  if (value === undefined || value === '') return [{ ...base, reason: `output does not match /${spec.regex}/, nothing captured as ${spec.as}` }];
  state.vars[spec.as] = value;
  state.identities.push({ variable: spec.as, node: node.name, value, step: index });
  return [{ ...base, ok: true, output: `${spec.as} = ${value}` }];
}

export async function backgroundStep(ctx: EngineContext, state: ScenarioState, spec: Spec<'background'>): Promise<NodeOutcome[]> {
  const expand = expanderFor(ctx.fleet, ctx.binPath, state.vars);
  const name = processName(spec.name);
  return each(resolveTarget(ctx.fleet, spec.on), async (node) => {
    const command = expand(node, spec.cmd);
    const ready = spec.ready;
    const r = ready
      ? { ...(ready.log !== undefined && { log: ready.log }), ...(ready.tcp !== undefined && { tcp: ready.tcp }), ...(ready.udp !== undefined && { udp: ready.udp }), ...(ready.http !== undefined && { http: expand(node, ready.http) }), timeoutMs: ready.timeout }
      : undefined;
    try {
      await ctx.io.start(node, { name, command, ...(r && { ready: r }) });
    } catch (err) {
      return { node: node.name, ok: false, command, reason: (err as Error).message };
    } finally {
      state.background.set(spec.name, new Set([...(state.background.get(spec.name) ?? []), node.name]));
    }
    return { node: node.name, ok: true, command, output: `${spec.name} running${ready ? ' and ready' : ''}` };
  });
}

export async function killStep(ctx: EngineContext, spec: Spec<'kill'>): Promise<NodeOutcome[]> {
  return each(resolveTarget(ctx.fleet, spec.on), async (node) => {
    const stopped = await ctx.io.stop(node, processName(spec.name));
    return stopped ? { node: node.name, ok: true, output: `${spec.name} killed` } : { node: node.name, ok: false, reason: `nothing named ${spec.name} was running on ${node.name}` };
  });
}

export async function restartStep(ctx: EngineContext, spec: Spec<'restart'>): Promise<NodeOutcome[]> {
  return each(resolveTarget(ctx.fleet, spec.on), async (node) => {
    try {
      await ctx.io.restart(node, processName(spec.name));
      return { node: node.name, ok: true, output: `${spec.name} restarted` };
    } catch (err) {
      return { node: node.name, ok: false, reason: (err as Error).message };
    }
  });
}

export async function partitionStep(ctx: EngineContext, state: ScenarioState, spec: Spec<'partition'>): Promise<NodeOutcome[]> {
  if (!ctx.nft) return [{ node: 'controller', ok: false, reason: 'partition needs nft on the machines (lab, or root on cloud/inventory nodes)' }];
  const groups = spec.groups.map((g) => g.flatMap((t) => resolveTarget(ctx.fleet, t)).map((n) => ({ name: n.name, addresses: addressesOf(n) })));
  const cuts = planPartition(groups);
  return Promise.all(
    cuts.map(async (cut) => {
      const node = resolveOne(ctx.fleet, cut.node, 'partition');
      state.partitioned.add(node.name);
      await machine(ctx, node, renderPartitionScript(cut, spec.protocol), 'partition');
      return { node: node.name, ok: true, output: `drops ${spec.protocol === 'all' ? 'all traffic' : spec.protocol.toUpperCase()} to and from ${cut.blockedNodes.join(', ')}` };
    }),
  );
}

export async function healStep(ctx: EngineContext, state: ScenarioState): Promise<NodeOutcome[]> {
  const nodes = [...state.partitioned].map((n) => resolveOne(ctx.fleet, n, 'heal'));
  if (!nodes.length) return [{ node: 'controller', ok: true, output: 'no partition to heal' }];
  return each(nodes, async (node) => {
    const listing = await machine(ctx, node, `nft list table inet ${PARTITION_TABLE} 2>/dev/null; ${renderHealScript()}`, 'heal');
    state.partitioned.delete(node.name);
    return { node: node.name, ok: true, output: `healed; ${parseDroppedPackets(listing)} packets had been dropped` };
  });
}

const LOG_SIZES = (dir: string) => `for f in ${shellQuote(dir)}/*.log; do [ -f "$f" ] && printf '%s %s\\n' "$(wc -c < "$f" | tr -d ' ')" "$f"; done; true`;

export async function markStep(ctx: EngineContext, state: ScenarioState, label: string): Promise<NodeOutcome[]> {
  const byNode = new Map<string, Map<string, number>>();
  const outcomes = await each(ctx.fleet.nodes, async (node) => {
    const text = await machine(ctx, node, LOG_SIZES(`${node.workdir}/logs`), 'mark');
    const sizes = new Map<string, number>();
    for (const line of text.split('\n')) {
      const m = /^(\d+) (.+)$/.exec(line.trim());
      if (m) sizes.set(m[2] as string, Number(m[1]));
    }
    byNode.set(node.name, sizes);
    return { node: node.name, ok: true };
  });
  state.marks.set(label, byNode);
  return [{ node: outcomes.map((o) => o.node).join(', '), ok: true, output: `mark ${label}` }];
}

export async function logCountStep(ctx: EngineContext, state: ScenarioState, spec: Spec<'log_count'>): Promise<NodeOutcome[]> {
  return each(resolveTarget(ctx.fleet, spec.on), async (node) => {
    const log = servicePaths(node.workdir, processName(spec.name)).log;
    const at = (label: string | undefined) => (label === undefined ? undefined : (state.marks.get(label)?.get(node.name)?.get(log) ?? 0));
    const from = at(spec.since ?? 'start') ?? 0;
    const until = at(spec.until);
    const cut = until === undefined ? '' : ` | head -c ${Math.max(0, until - from)}`;
    const command = `tail -c +${from + 1} ${shellQuote(log)}${cut}`;
    const r = await ctx.io.exec(node, `[ -f ${shellQuote(log)} ] || { echo "no log ${log}" >&2; exit 3; }; ${command}`, { asNode: false, timeoutMs: MACHINE_TIMEOUT_MS });
    if (r.code !== 0) return { node: node.name, ok: false, command, exit: r.code, reason: r.stderr.trim() || `reading ${log} failed` };
    const count = countMatchingLines(r.stdout, spec.pattern);
    const window = `${spec.since ?? 'scenario start'} .. ${spec.until ?? 'now'}`;
    const reason = judgeCount(count, spec.expect);
    const output = `${count} ${count === 1 ? 'line matches' : 'lines match'} /${spec.pattern}/ in ${log} (${window})`;
    return reason ? { node: node.name, ok: false, command, output: `${output}\n${outputTail(r.stdout, '', 400)}`, reason: `${reason} lines matching /${spec.pattern}/ (${window})` } : { node: node.name, ok: true, command, output };
  });
}

export async function httpStep(ctx: EngineContext, state: ScenarioState, spec: Spec<'http'>): Promise<NodeOutcome[]> {
  const timeoutMs = spec.timeout ?? HTTP_TIMEOUT_MS;
  if (spec.on === undefined) {
    const url = expanderFor(ctx.fleet, ctx.binPath, state.vars)(ctx.fleet.nodes[0] as FleetNode, spec.url);
    try {
      const r = await ctx.io.fetch(url, timeoutMs);
      const reason = judgeHttp(r.status, r.body, spec.expect);
      return [{ node: 'controller', ok: !reason, command: `GET ${url}`, output: `HTTP ${r.status}\n${outputTail(r.body, '', 400)}`, ...(reason && { reason }) }];
    } catch (err) {
      return [{ node: 'controller', ok: false, command: `GET ${url}`, reason: `request failed: ${(err as Error).message}` }];
    }
  }
  const expand = expanderFor(ctx.fleet, ctx.binPath, state.vars);
  return each(resolveTarget(ctx.fleet, spec.on), async (node) => {
    const url = expand(node, spec.url);
    const command = `curl -sS -m ${Math.ceil(timeoutMs / 1000)} -o - -w '\\n%{http_code}' ${shellQuote(url)}`;
    const r = await ctx.io.exec(node, command, { asNode: true, timeoutMs: timeoutMs + 5000 });
    const parsed = parseCurlOutput(r.stdout);
    if (r.code !== 0 || !parsed) return { node: node.name, ok: false, command, exit: r.code, output: outputTail(r.stdout, r.stderr), reason: `request failed: ${r.stderr.trim() || `curl exit ${r.code}`}` };
    const reason = judgeHttp(parsed.status, parsed.body, spec.expect);
    return { node: node.name, ok: !reason, command, exit: r.code, output: `HTTP ${parsed.status}\n${outputTail(parsed.body, '', 400)}`, ...(reason && { reason }) };
  });
}
