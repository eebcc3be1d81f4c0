/**
 * `R` continues the worker's own session (issue 10): the Deck records each opencode
 * worker's session id after the spawn and resumes by it, across a restart, with real
 * PTYs, real git worktrees and a stand-in `opencode` program that keeps its sessions
 * the way opencode does (one list for every worktree of the repo, each session with
 * its directory).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { opencodePreset } from '../../src/agents/opencode.js';
import type { Preset } from '../../src/agents/preset.js';
import { readRecordedSession } from '../../src/agents/session-file.js';
import { execaGit } from '../../src/git/git.js';
import { repoInfo } from '../../src/git/worktree.js';
import { loadMailHistory } from '../../src/mail/mailbox.js';
import { spawnNodePty } from '../../src/pty/node-pty-host.js';
import { loadState } from '../../src/registry/registry.js';
import { makeDeck, request, trackResources, waitForScreen } from '../helpers/deck.js';
import { tempDir, tempRepo } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/term.js';

/**
 * A stand-in for opencode. `session list --format json …` prints the sessions in
 * $STUB_DB as opencode does (nothing when there are none). Otherwise it is the TUI:
 * `--session <id>` opens that session, anything else makes a new one in $PWD; then it
 * echoes each line typed into it with the session it landed in.
 */
const STUB = `#!/bin/sh
db="$STUB_DB"
if [ "$1" = session ] && [ "$2" = list ]; then
  [ -s "$db" ] || exit 0
  printf '['; sed -e '$!s/$/,/' "$db"; printf ']\\n'
  exit 0
fi
sid=""
while [ $# -gt 0 ]; do
  case "$1" in --session) sid="$2"; shift ;; --continue) echo "CONTINUE"; exit 3 ;; esac
  shift
done
if [ -n "$sid" ]; then
  echo "RESUMED $sid"
else
  now="$('${process.execPath}' -e 'process.stdout.write(String(Date.now()))')"
  sid="ses_stub$(od -An -N6 -tx1 /dev/urandom | tr -d ' \\n')"
  printf '{"id":"%s","title":"t","updated":%s,"created":%s,"projectId":"p","directory":"%s"}\\n' "$sid" "$now" "$now" "$PWD" >> "$db"
  echo "STARTED $sid"
fi
while IFS= read -r line; do echo "GOT $line IN $sid"; done
`;

const { cleanups, pids } = trackResources();

async function setup(delays: number[]) {
  const repo = tempRepo('wd-sess-repo-');
  const state = tempDir('wd-sess-state-');
  const bin = tempDir('wd-sess-bin-');
  cleanups.push(() => {
    repo.cleanup();
    state.cleanup();
    bin.cleanup();
  });
  const stub = path.join(bin.dir, 'opencode');
  writeFileSync(stub, STUB, { mode: 0o755 });
  const db = path.join(bin.dir, 'sessions.jsonl');
  const presets = new Map<string, Preset>([['opencode', opencodePreset({ command: stub, env: { STUB_DB: db } })]]);
  const info = await repoInfo(execaGit(), repo.dir);
  const open = async () => {
    const made = await makeDeck({ stateDir: state.dir, cwd: repo.dir, spawner: spawnNodePty, presets, repo: info, sessionDiscoveryDelaysMs: delays });
    cleanups.push(() => made.deck.shutdown(500));
    return made;
  };
  const sessions = () => readFileSync(db, 'utf8').trim().split('\n');
  return { open, sessions };
}

describe('R on an opencode worker', () => {
  it("opens that worker's own session after a restart, though another worker's session is the project's newest", async () => {
    const { open, sessions } = await setup([50, 100, 200, 400, 800, 1600, 3200]);
    const first = await open();
    const a = await first.deck.spawn(request({ agent: 'opencode', name: 'a', task: 'task a', worktree: true }));
    const aSession = (await waitForScreen(first.deck, a.id, /STARTED (ses_stub\w+)/, 'a to start its session'))[1]!;
    const b = await first.deck.spawn(request({ agent: 'opencode', name: 'b', task: 'task b', worktree: true }));
    const bSession = (await waitForScreen(first.deck, b.id, /STARTED (ses_stub\w+)/, 'b to start its session'))[1]!;
    pids.push(a.pid!, b.pid!);
    // Each worker's id is recorded in the background, by its worktree.
    const recorded = (id: string) => readRecordedSession(path.join(first.layout.workerFiles, id))?.sessionId;
    await waitFor(() => recorded(a.id) === aSession && recorded(b.id) === bSession, 'both session ids to be recorded', 30_000);

    // Quit, restart.
    await first.deck.shutdown(500);
    await first.registry.flush();
    const second = await open();
    second.deck.restore(await loadState(second.layout.stateFile), await loadMailHistory(second.layout));
    await second.deck.resume(a.id);
    pids.push(second.deck.getState().workers[a.id]!.pid!);
    await waitForScreen(second.deck, a.id, new RegExp(`RESUMED ${aSession}`), "a's own session to open");
    expect(second.deck.getState().workers[a.id]?.sessionId).toBe(aSession);
    await second.deck.type(a.id, 'the reply', 'reply');
    await waitForScreen(second.deck, a.id, new RegExp(`GOT the reply IN ${aSession}`), "the reply to land in a's session");
    // No new session was made, and b's was not touched.
    expect(sessions()).toHaveLength(2);
  });

  it('refuses with a reason when two workers shared one directory, and starts nothing', async () => {
    // No background discovery during the test: the resume must decide alone.
    const { open } = await setup([3_600_000]);
    const deck = (await open()).deck;
    const a = await deck.spawn(request({ agent: 'opencode', name: 'a', task: 'task a', worktree: false }));
    await waitForScreen(deck, a.id, /STARTED ses_stub/, 'a to start its session');
    const b = await deck.spawn(request({ agent: 'opencode', name: 'b', task: 'task b', worktree: false }));
    await waitForScreen(deck, b.id, /STARTED ses_stub/, 'b to start its session');
    pids.push(a.pid!, b.pid!);
    await deck.stop(a.id, 500);
    await deck.stop(b.id, 500);
    await expect(deck.resume(a.id)).rejects.toThrow(/^Cannot resume a: it shares .+ with b \(also opencode\), and opencode sessions can only be told apart by their directory\. Give each worker its own worktree\.$/);
    expect(deck.isRunning(a.id)).toBe(false);
  });
});
