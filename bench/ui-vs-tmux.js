// What the user looks at, against a tmux client (issue 13): the same file of
// realistic output printed by a worker, timed until its end marker shows on
// an outer terminal (node-pty plus a headless xterm in this process, which
// parses every byte as a real terminal would), at 120x40:
// - tmux: a tmux client attached to a pane that prints the file;
// - ui: the workerdeck TUI with the printing worker selected in its preview;
// - attached: the workerdeck TUI attached to the printing worker.
// Each worker (and the pane) waits for a cue file before each print, so the
// clock starts at the cue (touching it) for every path alike.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateOutput } from './gen-output.js';
import { DeckTerm, log, median, now, sleep, tempDir, tempRepo, trackStateDir, trackTmuxSocket } from './lib.js';

/**
 * A shell loop that prints `file` once per cue `<dir>/go-<i>`, then `END-<i>`
 * (written so that the command line itself never shows the marker).
 * @param {string} file @param {string} dir @param {number} reps
 */
function printLoop(file, dir, reps) {
  return `for i in $(seq ${reps}); do until [ -e ${dir}/go-$i ]; do sleep 0.02; done; cat ${file}; printf '%s-%s\\n' END $i; done`;
}

/**
 * Time each cue to its marker on `term`'s screen.
 * @param {DeckTerm} term @param {string} dir @param {number} reps @param {string} label
 * @returns {Promise<number[]>} ms per rep
 */
async function timeReps(term, dir, reps, label) {
  /** @type {number[]} */
  const samples = [];
  for (let i = 1; i <= reps; i++) {
    const t0 = now();
    writeFileSync(path.join(dir, `go-${i}`), '');
    await term.waitFor(() => term.pending === 0 && term.screen().includes(`END-${i}`), `${label}: END-${i}`, 300_000, 5);
    samples.push(now() - t0);
    log(`ui-vs-tmux: ${label} rep ${i}/${reps}: ${Math.round(samples.at(-1) ?? NaN)} ms`);
    await sleep(300);
  }
  return samples;
}

/** @param {{ reps: number, bytes: number }} o */
export async function benchUiVsTmux({ reps, bytes }) {
  const base = tempDir('uivstmux');
  const file = path.join(base, 'output.txt');
  generateOutput(file, bytes);

  // tmux: a client attached to a pane running the loop.
  const socket = `wdbench-ui-${process.pid}`;
  trackTmuxSocket(socket);
  const tmuxCues = tempDir('uivstmux-tmux');
  const tmuxArgs = ['-L', socket, '-f', '/dev/null'];
  execFileSync('tmux', [...tmuxArgs, 'new-session', '-d', '-s', 'bench', '-x', '120', '-y', '40', `${printLoop(file, tmuxCues, reps)}; sleep 600`]);
  const client = new DeckTerm({ cwd: base, program: { file: 'tmux', args: [...tmuxArgs, 'attach', '-t', 'bench'] } });
  let tmuxMs;
  try {
    await sleep(500);
    tmuxMs = await timeReps(client, tmuxCues, reps, 'tmux client');
  } finally {
    client.kill();
    try {
      execFileSync('tmux', [...tmuxArgs, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // gone
    }
  }

  // workerdeck: one worker per path, each with its own cues.
  const repo = tempRepo('uivstmux', { defaultAgent: 'shell' });
  const stateDir = path.join(base, 'state');
  trackStateDir(stateDir);
  const deck = new DeckTerm({ cwd: repo, stateDir });
  let uiMs;
  let attachedMs;
  try {
    await deck.waitForText('q quit');
    const uiCues = tempDir('uivstmux-ui');
    await deck.spawnWorker(printLoop(file, uiCues, reps), 'preview');
    await deck.waitForText(/preview\s+shell\s+running/);
    await sleep(1000);
    uiMs = await timeReps(deck, uiCues, reps, 'TUI preview');

    const attachCues = tempDir('uivstmux-attach');
    await deck.spawnWorker(printLoop(file, attachCues, reps), 'attached');
    await deck.waitForText(/attached\s+shell\s+running/);
    // The newest worker is selected: attach to it.
    deck.type('\r');
    await deck.waitFor(() => !deck.screen().includes('q quit'), 'the attach');
    await sleep(1000);
    attachedMs = await timeReps(deck, attachCues, reps, 'attached');
    deck.type('\u001d');
    await deck.waitForText('q quit');
  } finally {
    await deck.quit();
  }
  const tmux = median(tmuxMs);
  return {
    ui_throughput_vs_tmux: tmux / median(uiMs),
    attached_throughput_vs_tmux: tmux / median(attachedMs),
    tmux_client_ms: tmuxMs,
    ui_preview_ms: uiMs,
    ui_attached_ms: attachedMs,
  };
}
