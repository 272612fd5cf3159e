// Child process for the interruption test: creates a lab and pauses (through the injected exec)
// just before the second sshd starts, printing PAUSED, so the parent can SIGINT it mid-creation.
import { systemExec, type Exec } from '../../../src/lab/exec.js';
import { createLab } from '../../../src/lab/lab.js';

const [runId, labRoot] = process.argv.slice(2);
if (!runId || !labRoot) throw new Error('usage: interrupted-create.mts <runId> <labRoot>');

let sshdStarts = 0;
const exec: Exec = async (argv, options) => {
  if (argv[0] === 'ip' && argv[2] === 'exec' && argv[4]?.endsWith('/sshd') && ++sshdStarts === 2) {
    console.log('PAUSED');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  return systemExec(argv, options);
};

await createLab(
  {
    runId,
    labRoot,
    nodes: [
      { name: 'a', nat: 'none', role: 'bootstrap' },
      { name: 'b', nat: 'port-restricted', role: 'peer' },
      { name: 'c', nat: 'symmetric', role: 'peer' },
    ],
  },
  { exec, onProgress: (line) => console.log(line) },
);
console.log('CREATED');
