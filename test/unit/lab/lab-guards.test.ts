// createLab refuses impossible labs before running a single command, and the interrupt guard.
import { describe, expect, it } from 'vitest';
import type { Exec } from '../../../src/lab/exec.js';
import { InterruptGuard, LabInterruptedError } from '../../../src/lab/interrupt.js';
import { createLab } from '../../../src/lab/lab.js';

function recordingExec(): { exec: Exec; calls: string[][] } {
  const calls: string[][] = [];
  return { calls, exec: async (argv) => (calls.push(argv), { code: 0, stdout: '', stderr: '' }) };
}

describe('createLab refusals', () => {
  it('jitter without netem goes to the packet delayer (not refused): a kernel that cannot queue is named before anything exists', async () => {
    const calls: string[][] = [];
    const exec: Exec = async (argv) => {
      calls.push(argv);
      return argv.includes('iptables-nft') ? { code: 1, stdout: '', stderr: 'Extension NFQUEUE revision 0 not supported\n' } : { code: 0, stdout: '', stderr: '' };
    };
    const creating = createLab(
      { runId: 'u1', labRoot: '/nonexistent/lab', nodes: [{ name: 'far', nat: 'none', role: 'peer', impair: { delayMs: 100, jitterMs: 10 } }] },
      { exec, netem: false, handleSignals: false, delayProbeDir: '' },
    );
    await expect(creating).rejects.toThrow(/needs the kernel's NFQUEUE target/);
    // only the scratch probe namespace was made (and removed): no lab namespace, no sshd
    expect(calls.map((c) => c.slice(0, 3).join(' ')).filter((c) => c.startsWith('ip netns add'))).toHaveLength(1);
    expect(calls.flat().some((a) => a.startsWith('vtu1-'))).toBe(false);
  });

  it('a bad spec or run id fails before any command runs', async () => {
    const { exec, calls } = recordingExec();
    await expect(createLab({ runId: 'bad id', nodes: [] }, { exec })).rejects.toThrow(/invalid run id/);
    await expect(createLab({ runId: 'u2', labRoot: '/x', nodes: [] }, { exec })).rejects.toThrow(/at least one node/);
    expect(calls).toEqual([]);
  });

  it('refuses a run whose namespaces already exist', async () => {
    const exec: Exec = async (argv) => ({ code: 0, stdout: argv.join(' ') === 'ip netns list' ? 'vtu3-inet (id: 1)\n' : '', stderr: '' });
    await expect(
      createLab({ runId: 'u3', labRoot: '/x', nodes: [{ name: 'a', nat: 'none', role: 'peer' }] }, { exec, handleSignals: false }),
    ).rejects.toThrow(/a lab for run u3 already exists \(vtu3-inet\)/);
  });
});

describe('interrupt guard', () => {
  it('an abort trips the guard; check() throws; reraise() of an abort sends no signal', () => {
    const controller = new AbortController();
    const guard = new InterruptGuard(controller.signal, async () => undefined);
    guard.install(false);
    expect(() => guard.check()).not.toThrow();
    controller.abort();
    expect(guard.reason).toBe('abort');
    expect(() => guard.check()).toThrow(LabInterruptedError);
    guard.reraise();
  });

  it('runs the emergency cleanup when creation does not get to its own in time', async () => {
    const controller = new AbortController();
    let emergencies = 0;
    const guard = new InterruptGuard(controller.signal, async () => void emergencies++, 30);
    guard.install(false);
    controller.abort();
    await new Promise((r) => setTimeout(r, 80));
    expect(emergencies).toBe(1);
    guard.uninstall();
  });

  it('uninstall before the grace period cancels the emergency; listeners are removed', async () => {
    const before = process.listenerCount('SIGINT');
    const controller = new AbortController();
    let emergencies = 0;
    const guard = new InterruptGuard(controller.signal, async () => void emergencies++, 30);
    guard.install(true);
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    controller.abort();
    guard.uninstall();
    expect(process.listenerCount('SIGINT')).toBe(before);
    await new Promise((r) => setTimeout(r, 60));
    expect(emergencies).toBe(0);
  });
});
