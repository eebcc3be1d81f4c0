// scale32: the built deck in a PTY with 32 shell workers spawned through the
// UI, each printing a coloured line every 100 ms. Measures the deck's own
// processes, the server and the TUI client together (not the workers): CPU
// seconds per wall second from /proc/<pid>/stat, and the peak of their summed
// RSS sampled every 250 ms (plus each one's VmHWM in the details). Then the workers go
// silent and the deck's CPU is measured again: scale32_idle_cpu.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { cpuSeconds, DeckTerm, log, now, serverPid, sleep, statusMb, tempDir, tempRepo, trackStateDir } from './lib.js';

// `read -t 0.1` is a bash builtin that waits on the (silent) terminal: no fork per tick. Once the
// file QUIET exists (`[` is a builtin too) the worker prints nothing and wakes once a second.
/** @param {string} quiet */
const tickScript = (quiet) =>
  `i=0; while :; do if [ -e '${quiet}' ]; then read -t 1 _; continue; fi; printf '\\033[3%dmtick %d: compiling module %d of 32 \\033[1mok\\033[0m\\n' $((i%7+1)) $i $((i%32)); i=$((i+1)); read -t 0.1 _; done`;
/** @param {string} quiet */
const scaleConfig = (quiet) => ({ defaultAgent: 'tick', presets: { tick: { command: 'bash', args: ['-c', tickScript(quiet)] } } });

/** @param {{ workers: number, seconds: number, idleSeconds: number }} o workers to spawn; seconds to measure for, busy and then idle */
export async function benchScale({ workers, seconds, idleSeconds }) {
  const quiet = path.join(tempDir('scale-quiet'), 'quiet');
  const repo = tempRepo('scale', scaleConfig(quiet));
  const stateDir = path.join(tempDir('scale-state'), 'state');
  trackStateDir(stateDir);
  const deck = new DeckTerm({ cwd: repo, stateDir });
  try {
    await deck.waitForText('q quit');
    const t0 = now();
    for (let i = 1; i <= workers; i++) await deck.spawnWorker('tick', `tick-${String(i).padStart(2, '0')}`);
    log(`scale: spawned ${workers} workers in ${Math.round(now() - t0)} ms`);
    await deck.waitFor(() => deck.workers().length === workers, `${workers} live workers`);
    await sleep(2000);
    // Stop parsing the deck's output in the bench while measuring: only drain it.
    deck.parse = false;
    const live = deck.workers().length;
    const pids = [deck.pid, serverPid(stateDir)].filter((p) => p !== null);
    const cpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const rss = () => pids.reduce((sum, pid) => sum + statusMb(pid, 'VmRSS'), 0);
    const c0 = cpu();
    const w0 = now();
    let rssPeak = rss();
    while (now() - w0 < seconds * 1000) {
      await sleep(250);
      rssPeak = Math.max(rssPeak, rss());
    }
    const c1 = cpu();
    const w1 = now();
    const rssNow = rss();
    const stillLive = deck.workers().length;
    if (live !== workers || stillLive !== workers) throw new Error(`scale: expected ${workers} live workers, had ${live} then ${stillLive}`);
    // The same workers, silent: what the deck costs while nothing happens.
    writeFileSync(quiet, '');
    await sleep(3000);
    const c2 = cpu();
    const each2 = pids.map((pid) => cpuSeconds(pid));
    const w2 = now();
    await sleep(idleSeconds * 1000);
    const idleWall = (now() - w2) / 1000;
    const idle = (cpu() - c2) / idleWall;
    // The TUI client and the server apart: they cost differently when nothing happens.
    const [tuiIdle, serverIdle] = pids.map((pid, i) => (cpuSeconds(pid) - (each2[i] ?? 0)) / idleWall);
    log(`scale: busy ${((c1 - c0) / ((w1 - w0) / 1000)).toFixed(3)} cores, idle ${idle.toFixed(4)} cores (TUI ${tuiIdle?.toFixed(4)}, server ${serverIdle?.toFixed(4)})`);
    return {
      scale32_cpu_cores: (c1 - c0) / ((w1 - w0) / 1000),
      scale32_idle_cpu: idle,
      scale32_idle_cpu_tui: tuiIdle ?? NaN,
      scale32_idle_cpu_server: serverIdle ?? NaN,
      scale32_rss_mb: rssPeak,
      scale32_rss_end_mb: rssNow,
    };
  } finally {
    await deck.quit(30_000);
  }
}
