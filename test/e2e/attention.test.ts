import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deckFixture, serverPid, stopServer } from '../helpers/e2e.js';
import { waitFor } from '../helpers/term.js';

/** Issue 12, "Attention": watchdogs, the queue and notifications, driven through the built binary. */
describe('attention (built binary)', () => {
  const f = deckFixture();
  const config = (json: object) => {
    mkdirSync(path.join(f.configHome, 'workerdeck'), { recursive: true });
    writeFileSync(path.join(f.configHome, 'workerdeck', 'config.json'), JSON.stringify(json));
  };

  it('idleTimeout: 3 fails a worker that prints nothing within 5 s, with the reason in list --json', async () => {
    config({ idleTimeout: 3 });
    // The shell prints its prompt and the echo of the task, then nothing.
    const id = f.cli(['spawn', '--name', 'silent', '--no-worktree', '--', 'sleep 600']).trim();
    await waitFor(() => f.list().find((w) => w.id === id)?.status === 'failed', 'the silent worker to fail', 15_000, () => JSON.stringify(f.list()));
    const worker = f.list().find((w) => w.id === id) as unknown as { reason: string; createdAt: number; endedAt: number };
    expect(worker.reason).toBe('idle: no output and no mail for 3 s (idleTimeout)');
    // The server's own clock: from the spawn to the end of the worker's whole session.
    expect(worker.endedAt - worker.createdAt).toBeGreaterThanOrEqual(3_000);
    expect(worker.endedAt - worker.createdAt).toBeLessThan(5_000);
  });

  it('labels workers the server stopped on SIGTERM with that, not "stopped by the operator"', async () => {
    const id = f.cli(['spawn', '--name', 'bystander', '--no-worktree', '--', 'sleep 600']).trim();
    const pid = serverPid(f.stateDir);
    await waitFor(() => f.list().find((w) => w.id === id)?.status === 'running', 'the worker to run');
    await stopServer(f.stateDir, f.list().flatMap((w) => (w.pid ? [w.pid] : [])));
    expect(pid).not.toBeNull();
    const worker = f.list().find((w) => w.id === id) as unknown as { status: string; reason: string };
    expect(worker).toMatchObject({ status: 'stopped', reason: 'the server stopped (SIGTERM)' });
  });
});
