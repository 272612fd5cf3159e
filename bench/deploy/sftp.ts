// The plain-sftp deploy, kept here as a baseline for the streamed one (src/deploy/artifact.ts):
// per node, check what is installed, upload the file uncompressed over sftp to a temp name, then
// verify its sha256 and rename it into place with the same receive script the product uses.
import type { FleetNode } from '../../src/fleet/types.js';
import { binaryPath, type BinaryUpload } from '../../src/deploy/index.js';
import { parseCheck, renderCheckScript, renderReceiveScript } from '../../src/deploy/artifact-scripts.js';
import { mapLimit, type SshPool } from '../../src/ssh/index.js';
import { shellQuote } from '../../src/shell/quote.js';

export async function sftpDeploy(pool: SshPool, nodes: readonly FleetNode[], upload: BinaryUpload, concurrency = 8): Promise<void> {
  await mapLimit(nodes, concurrency, async (node) => {
    const binary = binaryPath(node, upload.name);
    const tmp = `${node.workdir}/bin/.${upload.name}.sftp-${process.pid}`;
    const check = await pool.exec(node, renderCheckScript(binary, node.workdir), { timeoutMs: 60_000 });
    if (check.code !== 0) throw new Error(`${node.name}: check failed: ${check.stderr.trim()}`);
    if (parseCheck(check.stdout).sha256 === upload.sha256) return;
    await pool.exec(node, `mkdir -p ${shellQuote(`${node.workdir}/bin`)}`, { timeoutMs: 30_000 });
    await pool.upload(node, upload.path, tmp);
    const r = await pool.exec(node, renderReceiveScript({ binary, tmp, sha256: upload.sha256, install: true }), { timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`${node.name}: receive failed: ${r.stderr.trim()}`);
  });
}
