import path from 'node:path';
import type { DeckCommand, ResultOf } from '../core/protocol.js';
import type { Deck } from '../deck.js';
import { readOlderMail } from '../mail/mailbox.js';
import { readTranscriptTail } from '../registry/transcript.js';
import { ReviewService } from './review.js';
import { SpawnQueue } from './queue.js';
import { moveInQueue, queuePosition } from '../core/queue.js';
import { Permissions } from './permissions.js';

/** What `execute` needs beyond the Deck: the server's own actions. */
export interface ExecuteContext {
  /** Stop every worker and end the server (after the result is sent). */
  killServer(): void;
  /** The latest client's preview size; every detached PTY takes it. */
  setPreviewSize(cols: number, rows: number): void;
  /** Aborted when the client's connection closes (a waiting permission hook gave up). */
  signal?: AbortSignal;
}

/** A command refused for a reason the operator can act on; sent to the client as one line. */
export class CommandError extends Error {}

/**
 * Run one validated `DeckCommand` on the Deck: the single entry point every
 * client (TUI, CLI, scripts) goes through.
 * @returns the command's result (see `CommandResults`)
 * @throws CommandError or the Deck's own errors (SpawnError, …) with a sentence for the operator
 */
export async function execute<C extends DeckCommand>(deck: Deck, command: C, ctx: ExecuteContext): Promise<ResultOf<C>> {
  type R = ResultOf<C>;
  const worker = (id: string) => {
    const found = deck.findWorker(id);
    if (!found) throw new CommandError(`No worker "${id}" in this deck. Run workerdeck list to see the workers.`);
    return found;
  };
  switch (command.type) {
    case 'spawn':
      return (await SpawnQueue.of(deck).spawn(command.request)) as R;
    case 'resume': {
      const w = worker(command.id);
      await deck.resume(w.id);
      return deck.getState().workers[w.id] as R;
    }
    case 'stop': {
      const w = worker(command.id);
      if (w.status === 'queued') {
        deck.cancelQueued(w.id);
        return (deck.getState().workers[w.id] ?? null) as R;
      }
      if (!deck.isRunning(w.id)) throw new CommandError(`${w.name} is not running (${w.status}).`);
      await deck.stop(w.id);
      return (deck.getState().workers[w.id] ?? null) as R;
    }
    case 'queue-move': {
      const w = worker(command.id);
      if (w.status !== 'queued') throw new CommandError(`${w.name} is not queued (${w.status}).`);
      deck.reorderQueue(moveInQueue(deck.getState(), w.id, command.by));
      return queuePosition(deck.getState(), w.id) as R;
    }
    case 'remove':
      deck.remove(worker(command.id).id);
      return null as R;
    case 'send':
      return (await deck.type(worker(command.id).id, command.text, command.kind, command.inReplyTo)) as R;
    case 'mark-seen':
      deck.markSeen(command.workerId, command.seq);
      return null as R;
    case 'dismiss-mail':
      deck.dismissMail(command.workerId, command.seq);
      return null as R;
    case 'older-mail':
      return (await readOlderMail(deck.layout, command.workerId, command.before, command.limit)) as R;
    case 'set-size':
      ctx.setPreviewSize(command.cols, command.rows);
      return null as R;
    case 'resize-worker':
      deck.resizeWorker(worker(command.id).id, command.cols, command.rows);
      return null as R;
    case 'state':
      return deck.getState() as R;
    case 'warn':
      deck.warn(command.text);
      return null as R;
    case 'screen': {
      const mirror = deck.screen(worker(command.id).id);
      if (!mirror) return [] as string[] as R;
      return (command.plain ? await mirror.textRows() : await mirror.readRows(0)) as R;
    }
    case 'transcript': {
      const w = worker(command.id);
      return (await readTranscriptTail(path.join(deck.layout.transcripts, `${w.id}.log`), command.maxBytes)) as R;
    }
    case 'kill-server':
      ctx.killServer();
      return null as R;
    case 'diff':
      return (await ReviewService.of(deck).diff(command.id)) as R;
    case 'merge-preview':
      return (await ReviewService.of(deck).mergePreview(command.id, command.strategy)) as R;
    case 'merge':
      return (await ReviewService.of(deck).merge(command.id, command.strategy, command.commitUncommitted)) as R;
    case 'cleanup-preview':
      return (await ReviewService.of(deck).cleanupPreview(command.id)) as R;
    case 'cleanup':
      return (await ReviewService.of(deck).cleanup(command.id, command.confirmLoss)) as R;
    case 'restore':
      return (await ReviewService.of(deck).restore(command.key)) as R;
    case 'prune':
      return (await ReviewService.of(deck).prune()) as R;
    case 'push':
      return (await ReviewService.of(deck).push(command.id)) as R;
    case 'validate':
      return (await ReviewService.of(deck).validate(command.id)) as R;
    case 'permission-ask': {
      const ask = { tool: command.tool, detail: command.detail, allowAlways: command.allowAlways };
      return (await Permissions.of(deck).ask(command.workerId, ask, ctx.signal)) as R;
    }
    case 'permission-answer':
      return (await Permissions.of(deck).answer(command.id, { id: command.askId, tool: command.tool, detail: command.detail }, command.answer, command.reason)) as R;
  }
}
