import { nextAttentionWorker, questionToAnswer } from '../core/deck-state.js';
import { sanitize } from '../core/mail.js';
import type { Keymap } from '../core/commands.js';
import { hasLiveProcess, isLive } from '../core/worker.js';
import type { DeckClient } from '../client/remote-deck.js';
import { setUi, SPAWN_FIELDS, type AppStore, type SpawnFormState } from '../store.js';
import { computeLayout } from './layout.js';
import { threadLineCount } from './thread.js';
import type { KeyPress } from './keys.js';

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

  constructor(private readonly o: ControllerOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Route one key press to the layer in focus (see the class comment). Never throws for unbound keys. */
  handle(key: KeyPress): void {
    const { mode } = this.o.store.getState().ui;
    switch (mode) {
      case 'confirm':
        return this.onConfirm(key);
      case 'help':
        if (key.name === '?' || key.name === 'escape' || key.name === 'q') setUi(this.o.store, { mode: 'list' });
        return;
      case 'details':
        if (key.name === 'i' || key.name === 'escape' || key.name === 'q') setUi(this.o.store, { mode: 'list' });
        return;
      case 'warnings':
        if (key.name === 'w' || key.name === 'escape' || key.name === 'q') setUi(this.o.store, { mode: 'list' });
        return;
      case 'spawn':
        return this.onSpawnKey(key);
      case 'reply':
        return this.onReplyKey(key);
      case 'list': {
        const command = this.o.keymap.byKey.get(key.name);
        if (command) this.run(command);
        return;
      }
    }
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
    switch (command) {
      case 'spawn':
        setUi(store, {
          mode: 'spawn',
          spawn: { task: '', name: '', nameTouched: false, field: 'task', busy: false, ...this.o.spawnDefaults() },
        });
        return;
      case 'attach':
        if (!selected) return this.flash('No worker selected. Press n to spawn one.', 'warn');
        if (!hasLiveProcess(selected)) {
          return this.flash(`${selected.name} is not running (${selected.status}). R resumes it where its preset can.`, 'warn');
        }
        this.o.attach(selected.id);
        return;
      case 'reply':
        return this.openReply();
      case 'next-attention': {
        const next = nextAttentionWorker(state, ui.selectedId);
        if (!next) return this.flash('Nothing needs your attention.');
        this.select(next);
        return;
      }
      case 'nudge':
        if (!selected) return this.flash('No worker selected.', 'warn');
        client
          .execute({ type: 'send', id: selected.id, text: this.o.nudgeText, kind: 'nudge', inReplyTo: null })
          .then(() => this.flash(`Nudged ${selected.name}.`))
          .catch((error: Error) => this.flash(error.message, 'error'));
        return;
      case 'stop':
        if (!selected) return this.flash('No worker selected.', 'warn');
        if (!hasLiveProcess(selected)) return this.flash(`${selected.name} is not running.`, 'warn');
        this.confirm(`Stop ${selected.name}? (y/n)`, () => {
          this.flash(`Stopping ${selected.name}…`);
          client
            .execute({ type: 'stop', id: selected.id })
            .then(() => this.flash(`Stopped ${selected.name}. Its worktree and branch are kept.`))
            .catch((error: Error) => this.flash(error.message, 'error'));
        });
        return;
      case 'resume':
        if (!selected) return this.flash('No worker selected.', 'warn');
        if (hasLiveProcess(selected)) return this.flash(`${selected.name} is already running.`, 'warn');
        // Finding an opencode or Codex worker's own session can take a few seconds.
        this.flash(`Resuming ${selected.name}…`);
        client
          .execute({ type: 'resume', id: selected.id })
          .then(() => this.flash(`Resumed ${selected.name}.`))
          .catch((error: Error) => this.flash(error.message, 'error'));
        return;
      case 'remove':
        if (!selected) return this.flash('No worker selected.', 'warn');
        if (hasLiveProcess(selected)) return this.flash(`${selected.name} is still running; stop it first (x).`, 'warn');
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
        if (!selected) return this.flash('No worker selected.', 'warn');
        setUi(store, { mode: 'details' });
        return;
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
        const max = Math.max(0, threadLineCount(state, ui.selectedId, width) - 1);
        setUi(store, { mailScroll: Math.min(max, ui.mailScroll + 5) });
        return;
      }
      case 'mail-down':
        setUi(store, { mailScroll: Math.max(0, ui.mailScroll - 5) });
        return;
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

  /** Select a worker; the preview and the thread follow it. */
  select(id: string): void {
    setUi(this.o.store, { selectedId: id, previewScroll: 0, mailScroll: 0 });
  }

  private confirm(prompt: string, onYes: () => void): void {
    setUi(this.o.store, { mode: 'confirm', confirm: { prompt, onYes } });
  }

  private onConfirm(key: KeyPress): void {
    const { confirm } = this.o.store.getState().ui;
    setUi(this.o.store, { mode: 'list', confirm: null });
    if (key.name === 'y' || key.name === 'Y') confirm?.onYes();
  }

  private openReply(): void {
    const { store } = this.o;
    const { ui, deck: state } = store.getState();
    const question = questionToAnswer(state, ui.selectedId);
    const workerId = question?.workerId ?? ui.selectedId;
    if (!workerId) return this.flash('No question to answer and no worker selected.', 'warn');
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
    if (key.name === 'escape') {
      setUi(store, { mode: 'list', reply: null, drafts: { ...drafts, [reply.workerId]: reply.text } });
      if (reply.text) this.flash('Reply kept as a draft; r opens it again.');
      return;
    }
    if (key.name === 'enter') {
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
    if (key.name === 'ctrl+j' || key.name === 'meta+enter') {
      setUi(store, { reply: { ...reply, text: `${reply.text}\n` } });
      return;
    }
    const text = editText(reply.text, key);
    if (text !== null) setUi(store, { reply: { ...reply, text } });
  }

  private onSpawnKey(key: KeyPress): void {
    const { store, client } = this.o;
    const form = store.getState().ui.spawn;
    if (!form) return setUi(store, { mode: 'list' });
    if (form.busy) return;
    const patch = (p: Partial<SpawnFormState>) => setUi(store, { spawn: { ...form, ...p } });
    const fieldAt = SPAWN_FIELDS.indexOf(form.field);
    switch (key.name) {
      case 'escape':
        setUi(store, { mode: 'list', spawn: null });
        return;
      case 'tab':
      case 'down':
        return patch({ field: SPAWN_FIELDS[(fieldAt + 1) % SPAWN_FIELDS.length] ?? 'task' });
      case 'shift+tab':
      case 'up':
        return patch({ field: SPAWN_FIELDS[(fieldAt - 1 + SPAWN_FIELDS.length) % SPAWN_FIELDS.length] ?? 'task' });
      case 'enter':
        return this.submitSpawn(form);
    }
    if (form.field === 'agent' && (key.name === 'left' || key.name === 'right' || key.name === 'space')) {
      const names = client.presets.map((p) => p.name);
      const at = names.indexOf(form.agent);
      const step = key.name === 'left' ? -1 : 1;
      return patch({ agent: names[(at + step + names.length) % names.length] ?? form.agent });
    }
    if (form.field === 'worktree' && (key.name === 'space' || key.name === 'left' || key.name === 'right')) {
      return patch({ worktree: !form.worktree });
    }
    if (form.field === 'skipPermissions' && (key.name === 'space' || key.name === 'left' || key.name === 'right')) {
      return patch({ skipPermissions: !form.skipPermissions });
    }
    if (form.field === 'task' || form.field === 'name' || form.field === 'base') {
      const text = editText(form[form.field], key, form.field === 'task');
      if (text === null) return;
      if (form.field === 'name') return patch({ name: text, nameTouched: text !== '' });
      return patch({ [form.field]: text });
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

/**
 * Apply an editing key to single-buffer text: printable keys and pastes
 * insert, Backspace deletes a character, Ctrl-W a word, Ctrl-U everything.
 * @returns the new text, or null when the key is not an editing key
 */
export function editText(text: string, key: KeyPress, allowNewlines = true): string | null {
  if (key.name === 'backspace') return [...text].slice(0, -1).join('');
  if (key.name === 'ctrl+u') return '';
  if (key.name === 'ctrl+w') return text.replace(/\S+\s*$/, '');
  if (key.name === 'paste' && key.text !== undefined) {
    const pasted = sanitize(key.text);
    return text + (allowNewlines ? pasted : pasted.replace(/\n/g, ' '));
  }
  if (key.text !== undefined && [...key.name].length === 1) return text + key.text;
  if (key.name === 'space') return `${text} `;
  return null;
}
