import { nextAttentionWorker, olderMailCount, questionToAnswer, unknownMail, type UnknownMail } from '../core/deck-state.js';
import { commandFor, displayKey, type Keymap } from '../core/commands.js';
import { disabledReason } from './bindings.js';
import { hasLiveProcess, isLive } from '../core/worker.js';
import type { DeckClient } from '../client/remote-deck.js';
import { setUi, SPAWN_FIELDS, type AppStore, type ConfirmState, type OlderMail, type SpawnFormState } from '../store.js';
import { ReviewActions } from './review-actions.js';
import { computeLayout, plural } from './layout.js';
import { threadLineCount } from './thread.js';
import type { KeyPress } from './keys.js';
import { editAt } from './text-edit.js';
import { queuePosition } from '../core/queue.js';
import type { PermissionAnswer } from '../core/permission.js';

export interface ControllerOptions {
  store: AppStore;
  client: DeckClient;
  keymap: Keymap;
  /** Defaults for a new spawn form. */
  spawnDefaults: () => Omit<SpawnFormState, 'field' | 'busy' | 'task' | 'name' | 'nameTouched'>;
  nudgeText: string;
  /** Hand the terminal to a worker (full-screen passthrough). */
  attach: (id: string) => void;
  /** Leave the deck; the workers run on in the server. */
  quit: () => void;
  now?: () => number;
}

/**
 * The deck's one keypress dispatcher. Each key goes to the layer in focus:
 * the confirm prompt, the help or details overlay, the spawn form, the reply
 * box, or the worker list, whose keys come from the command registry.
 */
export class Controller {
  private readonly now: () => number;

  /** The keys of a worker's branch: d, m, P, v, D with a worktree, and the diff view (src/ui/review-actions.ts). */
  private readonly review: ReviewActions;

  constructor(private readonly o: ControllerOptions) {
    this.now = o.now ?? Date.now;
    this.review = new ReviewActions({
      store: o.store,
      client: o.client,
      keymap: o.keymap,
      flash: (text, level) => this.flash(text, level),
      confirm: (prompt, onYes, more) => this.confirm(prompt, onYes, more),
    });
  }

  /** Route one key press to the layer in focus (see the class comment). Never throws for unbound keys. */
  handle(key: KeyPress): void {
    const { mode } = this.o.store.getState().ui;
    switch (mode) {
      case 'confirm':
        return this.onConfirm(key);
      case 'help':
      case 'details':
      case 'warnings':
        // The overlay's own close keys, or the (possibly rebound) key that opened it.
        if (commandFor(this.o.keymap, 'overlay', key.name) === 'overlay.close' || this.o.keymap.byKey.get(key.name) === mode) {
          setUi(this.o.store, { mode: 'list', overlayScroll: 0 });
          return;
        }
        return this.scrollOverlay(commandFor(this.o.keymap, 'overlay', key.name));
      case 'spawn':
        return this.onSpawnKey(key);
      case 'diff':
        return this.review.onDiffKey(key);
      case 'reply':
        return this.onReplyKey(key);
      case 'list': {
        const command = this.o.keymap.byKey.get(key.name);
        if (command) this.run(command);
        return;
      }
    }
  }

  /**
   * Page in up to 50 older messages of a worker from `mail/cur` (the deck
   * holds only each sender's newest), unless a page is loading or none is left.
   */
  pageOlderMail(workerId: string): void {
    const { store, client } = this.o;
    const { deck: state, ui } = store.getState();
    const current = ui.olderMail[workerId] ?? { messages: [], before: null, loading: false };
    if (current.loading || olderMailCount(state, workerId) <= current.messages.length) return;
    let before: number;
    if (current.messages.length > 0) {
      if (current.before === null) return;
      before = current.before;
    } else {
      const held = state.mail.filter((m) => m.workerId === workerId).map((m) => m.seq);
      before = held.length > 0 ? Math.min(...held) : state.nextSeq;
    }
    const set = (next: OlderMail) => setUi(store, { olderMail: { ...store.getState().ui.olderMail, [workerId]: next } });
    set({ ...current, loading: true });
    client
      .execute({ type: 'older-mail', workerId, before, limit: 50 })
      .then((page) => {
        const now = store.getState().ui.olderMail[workerId] ?? current;
        set({ messages: [...page.messages, ...now.messages], before: page.before, loading: false });
      })
      .catch((error: Error) => {
        set({ ...current, loading: false });
        this.flash(`Cannot load older mail: ${error.message}`, 'error');
      });
  }

  /** Scroll the open overlay; the overlay clamps it to its last page (src/ui/Pane.tsx). */
  private scrollOverlay(command: string | undefined): void {
    const { ui } = this.o.store.getState();
    const page = Math.max(1, computeLayout(ui.cols, ui.rows, 0).mainHeight - 3);
    const by: Record<string, number> = { 'overlay.down': 1, 'overlay.up': -1, 'overlay.page-down': page, 'overlay.page-up': -page };
    if (command === undefined || by[command] === undefined) return;
    setUi(this.o.store, { overlayScroll: Math.max(0, (ui.overlayScroll ?? 0) + (by[command] ?? 0)) });
  }

  /** Show a message in the status line. */
  flash(text: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    setUi(this.o.store, { flash: { text, level, at: this.now() } });
  }

  /** Run a command of the registry by id. */
  run(command: string): void {
    const { store, client } = this.o;
    const { ui, deck: state } = store.getState();
    const selected = ui.selectedId ? state.workers[ui.selectedId] : undefined;
    const reason = disabledReason(command, store.getState());
    if (reason) return this.flash(reason, 'warn');
    switch (command) {
      case 'spawn':
        setUi(store, {
          mode: 'spawn',
          spawn: { task: '', name: '', nameTouched: false, field: 'task', busy: false, ...this.o.spawnDefaults() },
        });
        return;
      case 'attach':
        if (selected) this.o.attach(selected.id);
        return;
      case 'reply':
        return this.openReply();
      case 'next-attention': {
        const next = nextAttentionWorker(state, ui.selectedId);
        if (!next) {
          const unknown = unknownMail(state);
          if (unknown.length === 0) return this.flash('Nothing needs your attention.');
          const count = unknown.reduce((n, g) => n + g.messages.length, 0);
          // Short enough for the one footer line of a 120-column terminal.
          return this.flash(
            `Nothing needs you but ${plural(count, 'message')} from ${describeUnknown(unknown)}, which no reply can reach. ` +
              `${this.keyOf('dismiss')} dismisses ${count === 1 ? 'it' : 'them'}.`,
          );
        }
        this.select(next);
        return;
      }
      case 'nudge':
        if (!selected) return;
        client
          .execute({ type: 'send', id: selected.id, text: this.o.nudgeText, kind: 'nudge', inReplyTo: null })
          .then(() => this.flash(`Nudged ${selected.name}.`))
          .catch((error: Error) => this.flash(error.message, 'error'));
        return;
      case 'queue-up':
      case 'queue-down':
        if (!selected) return;
        client
          .execute({ type: 'queue-move', id: selected.id, by: command === 'queue-up' ? -1 : 1 })
          .then((position) => this.flash(`${selected.name} is now #${position} in the queue.`))
          .catch((error: Error) => this.flash(error.message, 'error'));
        return;
      case 'stop':
        if (!selected) return;
        if (selected.status === 'queued') {
          return this.confirm(`Cancel the queued ${selected.name}? (y/n)`, () => {
            client
              .execute({ type: 'stop', id: selected.id })
              .then(() => this.flash(`Cancelled ${selected.name}; it never started.`))
              .catch((error: Error) => this.flash(error.message, 'error'));
          });
        }
        this.confirm(`Stop ${selected.name}? (y/n)`, () => {
          this.flash(`Stopping ${selected.name}…`);
          client
            .execute({ type: 'stop', id: selected.id })
            .then(() => this.flash(`Stopped ${selected.name}. Its worktree and branch are kept.`))
            .catch((error: Error) => this.flash(error.message, 'error'));
        });
        return;
      case 'resume':
        if (!selected) return;
        // Finding an opencode or Codex worker's own session can take a few seconds.
        this.flash(`Resuming ${selected.name}…`);
        client
          .execute({ type: 'resume', id: selected.id })
          .then(() => this.flash(`Resumed ${selected.name}.`))
          .catch((error: Error) => this.flash(error.message, 'error'));
        return;
      case 'diff':
      case 'merge':
      case 'push':
      case 'validate':
        if (selected) this.review.run(command, selected);
        return;
      case 'remove':
        if (!selected) return;
        if (selected.worktree) return this.review.cleanup(selected);
        this.confirm(`Remove ${selected.name} from the list? Its worktree and branch are kept. (y/n)`, () => {
          const at = store.getState().deck.order.indexOf(selected.id);
          client
            .execute({ type: 'remove', id: selected.id })
            .then(() => {
              const rest = store.getState().deck.order;
              if (store.getState().ui.selectedId === selected.id || !rest.includes(store.getState().ui.selectedId ?? '')) {
                setUi(store, { selectedId: rest[Math.min(at, rest.length - 1)] ?? null });
              }
              this.flash(`Removed ${selected.name}.`);
            })
            .catch((error: Error) => this.flash(error.message, 'error'));
        });
        return;
      case 'details':
        setUi(store, { mode: 'details' });
        return;
      case 'permission.allow':
      case 'permission.always':
      case 'permission.deny': {
        const asked = selected?.needsInput?.permission;
        if (!selected || !asked) return;
        if (command === 'permission.deny') {
          // A one-line reason box; Enter denies, with no reason when it is empty.
          const what = [asked.tool, asked.detail].filter(Boolean).join(' ') || 'the permission prompt';
          setUi(store, { mode: 'reply', reply: { workerId: selected.id, inReplyTo: null, question: null, text: '', busy: false, deny: { askId: asked.id, tool: asked.tool, detail: asked.detail, what } } });
          return;
        }
        return this.answerPermission(selected.id, asked, command === 'permission.allow' ? 'allow-once' : 'allow-always', null);
      }
      case 'select-next':
      case 'select-prev': {
        const order = state.order;
        if (order.length === 0) return;
        const at = ui.selectedId ? order.indexOf(ui.selectedId) : -1;
        const next = command === 'select-next' ? Math.min(order.length - 1, at + 1) : Math.max(0, at - 1);
        const id = order[next];
        if (id) this.select(id);
        return;
      }
      case 'scroll-up':
      case 'scroll-down': {
        if (!ui.selectedId) return;
        const page = Math.max(1, computeLayout(ui.cols, ui.rows, state.order.length).previewRows - 1);
        const max = client.lastScreen(ui.selectedId, ui.previewScroll)?.scrollback ?? 0;
        const next = command === 'scroll-up' ? Math.min(max, ui.previewScroll + page) : Math.max(0, ui.previewScroll - page);
        setUi(store, { previewScroll: next });
        return;
      }
      case 'mail-up': {
        if (!ui.selectedId) return;
        const width = computeLayout(ui.cols, ui.rows, state.order.length).mailWidth - 2;
        const older = ui.olderMail[ui.selectedId];
        const max = Math.max(0, threadLineCount(state, ui.selectedId, width, older?.messages) - 1);
        setUi(store, { mailScroll: Math.min(max, ui.mailScroll + 5) });
        // At the top of what is held: page in older mail from mail/cur, if there is more.
        if (ui.mailScroll + 5 >= max) this.pageOlderMail(ui.selectedId);
        return;
      }
      case 'mail-down':
        setUi(store, { mailScroll: Math.max(0, ui.mailScroll - 5) });
        return;
      case 'dismiss':
        return this.dismissUnknown();
      case 'help':
        setUi(store, { mode: 'help' });
        return;
      case 'warnings':
        setUi(store, { mode: 'warnings' });
        return;
      case 'quit':
        return this.o.quit();
      case 'kill-server': {
        const running = Object.values(state.workers).filter(hasLiveProcess).length;
        this.confirm(
          `Stop ${running} running worker${running === 1 ? '' : 's'} and the server, and quit? Worktrees are kept. (y/n)`,
          () => {
            this.flash('Stopping every worker and the server…');
            client
              .execute({ type: 'kill-server' })
              .catch(() => undefined)
              .finally(() => this.o.quit());
          },
        );
        return;
      }
    }
  }

  /**
   * Dismiss the mail of the worker this deck does not know whose oldest
   * message is oldest (the first ⚠ group in "Needs you"). It is recorded as a
   * `mail-dismissed` event; the files stay in mail/cur.
   */
  private dismissUnknown(): void {
    const { client, store } = this.o;
    const [group, ...rest] = unknownMail(store.getState().deck);
    if (!group) return this.flash('No mail from unknown workers to dismiss.');
    const more = rest.length > 0 ? ` ${plural(rest.length, 'more unknown worker')}: ${this.keyOf('dismiss')} again.` : '';
    client
      .execute({ type: 'dismiss-mail', workerId: group.workerId, seq: group.lastSeq })
      .then(() => this.flash(`Dismissed ${plural(group.messages.length, 'message')} from ${describeUnknown([group])}; the files stay in mail/cur.${more}`))
      .catch((error: Error) => this.flash(error.message, 'error'));
  }

  /** How the first key bound to `command` reads, for messages. */
  private keyOf(command: string): string {
    const key = this.o.keymap.keysOf.get(command)?.[0];
    return key ? displayKey(key) : `the ${command} key`;
  }

  /** Select a worker; the preview and the thread follow it. */
  select(id: string): void {
    setUi(this.o.store, { selectedId: id, previewScroll: 0, mailScroll: 0 });
  }

  private confirm(prompt: string, onYes: () => void, more: Pick<ConfirmState, 'choices' | 'panel'> = {}): void {
    setUi(this.o.store, { mode: 'confirm', confirm: { prompt, onYes, ...more } });
  }

  private onConfirm(key: KeyPress): void {
    const { confirm } = this.o.store.getState().ui;
    setUi(this.o.store, { mode: 'list', confirm: null });
    // Any key but a yes key (or one of the question's own choices) says no.
    const command = commandFor(this.o.keymap, 'confirm', key.name);
    if (command === 'confirm.yes') confirm?.onYes();
    else if (command && confirm?.choices?.[command]) confirm.choices[command]();
  }

  private openReply(): void {
    const { store } = this.o;
    const { ui, deck: state } = store.getState();
    const question = questionToAnswer(state, ui.selectedId);
    const workerId = question?.workerId ?? ui.selectedId;
    if (!workerId) {
      const asking = unknownMail(state).filter((g) => g.questions > 0);
      if (asking.length === 0) return this.flash('No question to answer and no worker selected.', 'warn');
      const questions = asking.reduce((n, g) => n + g.questions, 0);
      return this.flash(
        `No question to answer: ${plural(questions, 'question')} ${questions === 1 ? 'is' : 'are'} from ${describeUnknown(asking)}, ` +
          `which no reply can reach. ${this.keyOf('dismiss')} dismisses ${questions === 1 ? 'it' : 'them'}.`,
        'warn',
      );
    }
    const worker = state.workers[workerId];
    if (!worker || !isLive(worker.status) || !hasLiveProcess(worker)) {
      const name = worker?.name ?? question?.workerName ?? workerId;
      return this.flash(`${name} is not a live worker of this deck; a reply cannot reach it.`, 'error');
    }
    if (question && question.workerId !== ui.selectedId) this.select(question.workerId);
    setUi(store, {
      mode: 'reply',
      reply: {
        workerId,
        inReplyTo: question?.id ?? null,
        question: question?.content ?? null,
        text: ui.drafts[workerId] ?? '',
        busy: false,
      },
    });
  }

  private onReplyKey(key: KeyPress): void {
    const { store, client } = this.o;
    const { reply, drafts } = store.getState().ui;
    if (!reply) return setUi(store, { mode: 'list' });
    if (reply.busy) return;
    const command = commandFor(this.o.keymap, 'reply', key.name);
    if (reply.deny) {
      // The deny reason box: one line; nothing is kept as a reply draft.
      if (command === 'reply.cancel') {
        setUi(store, { mode: 'list', reply: null });
        return this.flash('Not denied; the permission prompt still waits.');
      }
      if (command === 'reply.send') {
        setUi(store, { reply: { ...reply, busy: true } });
        return this.answerPermission(reply.workerId, { id: reply.deny.askId, tool: reply.deny.tool, detail: reply.deny.detail }, 'deny', reply.text.trim() || null);
      }
      if (command === 'reply.newline') return;
      const edit = editAt(reply.text, reply.cursor, key.name === 'paste' ? { ...key, text: key.text?.replace(/\s+/g, ' ') ?? '' } : key);
      if (edit) setUi(store, { reply: { ...reply, ...edit } });
      return;
    }
    if (command === 'reply.cancel') {
      setUi(store, { mode: 'list', reply: null, drafts: { ...drafts, [reply.workerId]: reply.text } });
      if (reply.text) this.flash('Reply kept as a draft; r opens it again.');
      return;
    }
    if (command === 'reply.send') {
      if (reply.text.trim() === '') return this.flash('Type a reply first, or Esc to cancel.', 'warn');
      setUi(store, { reply: { ...reply, busy: true } });
      const name = store.getState().deck.workers[reply.workerId]?.name ?? reply.workerId;
      client
        .execute({ type: 'send', id: reply.workerId, text: reply.text, kind: 'reply', inReplyTo: reply.inReplyTo })
        .then(() => {
          const rest = { ...store.getState().ui.drafts };
          delete rest[reply.workerId];
          setUi(store, { mode: 'list', reply: null, drafts: rest });
          this.flash(`Replied to ${name}.`);
        })
        .catch((error: Error) => {
          setUi(store, { reply: { ...reply, busy: false } });
          this.flash(error.message, 'error');
        });
      return;
    }
    if (command === 'reply.newline') {
      const edit = editAt(reply.text, reply.cursor, { name: 'paste', text: '\n' });
      if (edit) setUi(store, { reply: { ...reply, ...edit } });
      return;
    }
    const edit = editAt(reply.text, reply.cursor, key);
    if (edit) setUi(store, { reply: { ...reply, ...edit } });
  }

  /** Send the operator's answer to a permission ask; the deny reason box closes once it is sent. */
  private answerPermission(workerId: string, ask: { id: string; tool: string; detail: string }, answer: PermissionAnswer, reason: string | null): void {
    const { store, client } = this.o;
    const askId = ask.id;
    client
      .execute({ type: 'permission-answer', id: workerId, askId, tool: ask.tool, detail: ask.detail, answer, reason })
      .then((done) => {
        if (store.getState().ui.reply?.deny?.askId === askId) setUi(store, { mode: 'list', reply: null });
        this.flash(done);
      })
      .catch((error: Error) => {
        if (store.getState().ui.reply?.deny?.askId === askId) setUi(store, { mode: 'list', reply: null });
        this.flash(error.message, 'error');
      });
  }

  private onSpawnKey(key: KeyPress): void {
    const { store, client } = this.o;
    const form = store.getState().ui.spawn;
    if (!form) return setUi(store, { mode: 'list' });
    if (form.busy) return;
    const patch = (p: Partial<SpawnFormState>) => setUi(store, { spawn: { ...form, ...p } });
    const fieldAt = SPAWN_FIELDS.indexOf(form.field);
    const command = commandFor(this.o.keymap, 'form', key.name);
    switch (command) {
      case 'form.cancel':
        setUi(store, { mode: 'list', spawn: null });
        return;
      case 'form.next-field':
        return patch({ field: SPAWN_FIELDS[(fieldAt + 1) % SPAWN_FIELDS.length] ?? 'task', cursor: undefined });
      case 'form.prev-field':
        return patch({ field: SPAWN_FIELDS[(fieldAt - 1 + SPAWN_FIELDS.length) % SPAWN_FIELDS.length] ?? 'task', cursor: undefined });
      case 'form.submit':
        return this.submitSpawn(form);
      case 'form.change':
        if (form.field === 'agent') {
          const names = client.presets.map((p) => p.name);
          const at = names.indexOf(form.agent);
          const step = key.name === 'left' ? -1 : 1;
          return patch({ agent: names[(at + step + names.length) % names.length] ?? form.agent });
        }
        if (form.field === 'worktree') return patch({ worktree: !form.worktree });
        if (form.field === 'skipPermissions') return patch({ skipPermissions: !form.skipPermissions });
        break;
    }
    if (form.field === 'task' || form.field === 'name' || form.field === 'base') {
      const edit = editAt(form[form.field], form.cursor, key, form.field === 'task');
      if (edit === null) return;
      if (form.field === 'name') return patch({ name: edit.text, nameTouched: edit.text !== '', cursor: edit.cursor });
      return patch({ [form.field]: edit.text, cursor: edit.cursor });
    }
  }

  private submitSpawn(form: SpawnFormState): void {
    const { store, client } = this.o;
    setUi(store, { spawn: { ...form, busy: true } });
    client
      .execute({
        type: 'spawn',
        request: {
          task: form.task,
          name: form.nameTouched ? form.name : '',
          agent: form.agent,
          worktree: form.worktree,
          base: form.base,
          skipPermissions: form.skipPermissions,
        },
      })
      .then((worker) => {
        setUi(store, { mode: 'list', spawn: null });
        this.select(worker.id);
        if (worker.status === 'queued') {
          const position = queuePosition(store.getState().deck, worker.id) ?? 1;
          return this.flash(`Queued ${worker.name} (#${position}): maxWorkers are running; it starts when a slot frees.`);
        }
        this.flash(`Spawned ${worker.name}${worker.branch ? ` on ${worker.branch}` : ''}.`);
      })
      .catch((error: Error) => {
        // Keep the form and what was typed, so nothing is lost.
        const current = store.getState().ui.spawn;
        if (current) setUi(store, { spawn: { ...current, busy: false } });
        this.flash(error.message, 'error');
      });
  }
}


/** `unknown worker ffff (ghost)` for one worker this deck does not know, `3 unknown workers` for more. */
function describeUnknown(groups: UnknownMail[]): string {
  const first = groups[0];
  if (groups.length === 1 && first) return `unknown worker ${first.workerId}${first.workerName ? ` (${first.workerName})` : ''}`;
  return `${groups.length} unknown workers`;
}
