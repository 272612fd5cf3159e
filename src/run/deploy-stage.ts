// DEPLOY: the subject binary to every node (one artifact per arch), then the long-running
// processes: the agent's rendezvous/relay on bootstrap nodes, and the planned service.
// Reads the Plan only.
import { expandPlaceholders, type NodeFacts } from '../config/placeholders.js';
import type { Plan } from '../plan/types.js';
import type { Artifact } from '../build/index.js';
import { artifactForArch } from '../build/index.js';
import { binaryPath, deployArtifact, startService } from '../deploy/index.js';
import type { Fleet, FleetNode } from '../fleet/types.js';
import type { SshPool } from '../ssh/index.js';
import { mapLimit } from '../ssh/index.js';
import { serveCapacityArgv, serverCapacityOf } from '../plan/server-capacity.js';

export const AGENT_SERVER_SERVICE = 'vps-agent-serve';

export interface Deployed {
  binaryName: string;
  binPath(node: FleetNode): string;
  server?: { ip: string; port: number };
}

export function nodeFacts(fleet: Fleet): NodeFacts[] {
  return fleet.nodes.map((n) => ({ name: n.name, ip: n.publicIp, private_ip: n.privateIp }));
}

export async function deployStage(o: { plan: Plan; fleet: Fleet; pool: SshPool; artifacts: Artifact[]; binaryName: string; log: (l: string) => void; runId: string }): Promise<Deployed> {
  const { plan, fleet, pool, log } = o;
  const byArch = new Map<string, FleetNode[]>();
  for (const node of fleet.nodes) byArch.set(node.arch, [...(byArch.get(node.arch) ?? []), node]);
  for (const [arch, nodes] of byArch) {
    const artifact = artifactForArch(o.artifacts, arch as FleetNode['arch']);
    if (!artifact) throw new Error(`no artifact was built for ${arch} (nodes ${nodes.map((n) => n.name).join(', ')}); add a ${arch} target to build.targets`);
    const results = await deployArtifact(pool, nodes, { path: artifact.path, sha256: artifact.sha256, size: artifact.size, name: o.binaryName });
    const failed = results.filter((r) => r.status === 'failed');
    if (failed.length) throw new Error(`deploy failed on ${failed.map((r) => `${r.node} (${r.error ?? 'unknown error'})`).join(', ')}`);
    const sent = results.reduce((s, r) => s + r.bytesSent, 0);
    log(`${arch}: ${results.filter((r) => r.status === 'uploaded').length} uploaded, ${results.filter((r) => r.status === 'skipped').length} unchanged (${(sent / 1e6).toFixed(1)} MB sent)`);
  }
  const binPath = (node: FleetNode) => binaryPath(node, o.binaryName);
  const deployed: Deployed = { binaryName: o.binaryName, binPath };

  const subject = plan.subject;
  if (subject.driver === 'agent') {
    const bootstrap = fleet.nodes.find((n) => n.role === 'bootstrap');
    if (bootstrap) {
      // The session table and TTL sized from the plan's rounds (docs/architecture.md, "Server capacity").
      const capacity = serveCapacityArgv(serverCapacityOf(plan.suites));
      const argv = [binPath(bootstrap), 'serve', '--port', String(subject.port), '--name', bootstrap.name, ...(subject.relay ? [] : ['--no-relay']), ...capacity];
      await startService(pool, bootstrap, { name: AGENT_SERVER_SERVICE, command: argv.join(' '), ready: { udp: subject.port, timeoutMs: 15_000 } });
      deployed.server = { ip: bootstrap.publicIp, port: subject.port };
      log(`rendezvous${subject.relay ? ' + relay' : ' (relay disabled)'} on ${bootstrap.name} ${bootstrap.publicIp}:${subject.port}`);
    }
  }

  const service = plan.service;
  if (service) {
    const facts = nodeFacts(fleet);
    await mapLimit(fleet.nodes, 8, async (node) => {
      const self = facts.find((f) => f.name === node.name) as NodeFacts;
      const command = expandPlaceholders(service.command, { self, nodes: facts, bin: binPath(node), workdir: node.workdir, runId: o.runId });
      await startService(pool, node, { name: 'service', command, ...(service.ready && { ready: service.ready }) });
    });
    log(`service started and ready on ${fleet.nodes.length} nodes`);
  }
  return deployed;
}
