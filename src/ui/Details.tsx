import { formatAge, hasLiveProcess, isLive, statusLabel, type WorkerRecord } from '../core/worker.js';
import { unansweredQuestions } from '../core/deck-state.js';
import { formatDiffStat } from '../core/review.js';
import { formatReset } from '../core/limit-detect.js';
import { useApp, useDeckContext } from './context.js';
import { fit, wrap } from './layout.js';
import { Overlay } from './Pane.js';

/** Why the deck thinks the worker is in its status, in sentences. */
export function statusReasons(worker: WorkerRecord, openQuestions: number, running: boolean): string[] {
  const out: string[] = [];
  if (worker.needsInput && isLive(worker.status)) {
    const from = { screen: 'its screen shows', hook: 'its agent reported', mail: 'its mail says' }[worker.needsInput.source];
    out.push(`needs input: ${from} "${worker.needsInput.reason}".`);
    const asked = worker.needsInput.permission;
    if (asked) {
      const how = worker.needsInput.source === 'hook' ? 'its permission hook waits for the answer' : 'the answer key is typed into its dialog';
      out.push(`permission prompt: y allows once${asked.allowAlways ? ', A always' : ''}, N denies (${how}).`);
    }
  }
  if (worker.limit && isLive(worker.status)) {
    const reset = worker.limit.resetAt === null ? 'no reset time the deck could read' : `resets ${formatReset(worker.limit.resetAt, Date.now())}`;
    const then = worker.limit.resumesItself ? 'its agent continues by itself then' : 'with resumeAfterLimit the deck nudges it on a minute after';
    out.push(`limited: its agent hit a usage limit (${reset}; ${then}): "${worker.limit.text}".`);
  }
  switch (worker.status) {
    case 'queued':
      out.push('queued: maxWorkers are running; it starts when a slot frees (x cancels it, K and J move it in the queue).');
      break;
    case 'starting':
      out.push('starting: the worktree or process is being created.');
      break;
    case 'running':
      out.push(`running: process ${worker.pid} is alive; output is ${worker.activity === 'busy' ? 'streaming' : 'quiet'}.`);
      break;
    case 'asking':
      out.push(`asking: it sent a question (${openQuestions} unanswered). Press r to reply.`);
      break;
    case 'completed':
      out.push(`completed: it sent a completion${running ? ' and its process is still alive' : ''}.`);
      break;
    case 'exited':
      out.push(`exited: ${worker.reason ?? `its process ended with exit code ${worker.exitCode}`} without a completion.`);
      break;
    case 'failed':
      out.push(`failed: ${worker.reason ?? 'its process ended with an error'}.`);
      break;
    case 'stopped':
      out.push('stopped: the operator stopped it. Its worktree and branch are kept; R resumes where the preset can.');
      break;
  }
  if (worker.status !== 'running' && !running && isLive(worker.status)) out.push('Its process is not running in this deck.');
  return out;
}

/** The details view (i): command, pid, worktree, branch, session id, and the reasons for the status. */
export function Details({ width, height, worker }: { width: number; height: number; worker: WorkerRecord }) {
  const { theme } = useDeckContext();
  const open = useApp((s) => unansweredQuestions(s.deck, worker.id).length);
  const inner = width - 4;
  const rows: [string, string][] = [
    ['status', statusLabel(worker)],
    ['agent', worker.agent],
    ['command', worker.command.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')],
    ['pid', worker.pid === null ? '-' : String(worker.pid)],
    ['cwd', worker.cwd],
    ['worktree', worker.worktree ?? '(none)'],
    ['branch', worker.branch ? `${worker.branch} (from ${worker.base})` : '(none)'],
    ['changes', formatDiffStat(worker.diffstat) || '-'],
    [
      'conflicts',
      worker.conflicts && worker.conflicts.length > 0
        ? worker.conflicts.map((c) => `${c.withId ? `with ${c.with}` : `with its base ${c.with}`} in ${c.files.join(', ')}`).join('; ')
        : worker.conflicts
          ? 'none found'
          : '-',
    ],
    ['session id', worker.sessionId ?? '-'],
    ['exit', worker.exitCode === null ? (worker.signal ? `signal ${worker.signal}` : '-') : String(worker.exitCode)],
    ['age', formatAge(Date.now() - worker.createdAt)],
    ['task', worker.task],
  ];
  const lines: { text: string; accent?: boolean }[] = [];
  for (const [k, v] of rows) {
    const wrapped = wrap(v, inner - 12);
    wrapped.slice(0, 4).forEach((line, i) => lines.push({ text: `${i === 0 ? fit(k, 12) : ' '.repeat(12)}${line}` }));
  }
  const v = worker.validation;
  if (v) {
    const verdict = v.status === 'running' ? 'running' : v.status === 'timed-out' ? 'timed out' : `${v.status} (exit code ${v.exitCode})`;
    lines.push({ text: `${fit('validate', 12)}${verdict}: ${v.command}${v.nudges > 0 ? ` · nudged ${v.nudges}×` : ''}` });
    lines.push({ text: `${' '.repeat(12)}${v.log}` });
    for (const line of v.tail.split('\n').filter((l) => l.trim() !== '').slice(-6)) lines.push({ text: `${' '.repeat(12)}│ ${line}` });
  }
  lines.push({ text: '' });
  lines.push({ text: 'Why this status', accent: true });
  for (const reason of statusReasons(worker, open, hasLiveProcess(worker))) {
    for (const line of wrap(reason, inner - 2)) lines.push({ text: `  ${line}` });
  }
  return (
    <Overlay
      width={width}
      height={height}
      title={`${worker.name} — details (i or Esc closes)`}
      colour={theme.c('border.focus')}
      titleColour={theme.c('text.accent')}
      lines={lines.map((line) => ({ text: line.text, colour: theme.c(line.accent ? 'text.accent' : 'text.normal'), bold: line.accent ?? false }))}
    />
  );
}
