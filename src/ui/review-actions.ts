/**
 * The keys that act on a worker's branch: `d` (the diff view and its own
 * keys), `m` (merge, after its preview), `P` (push and pull request), `v`
 * (validate) and `D` on a worker with a worktree (cleanup, after naming what
 * would be lost). The git work runs in the server; these only ask, show and
 * confirm. The Controller routes to them.
 */
import { commandFor, type Keymap } from '../core/commands.js';
import { describeLoss, STRATEGY_LABEL, type MergePreview, type MergeStrategy } from '../core/review.js';
import type { WorkerRecord } from '../core/worker.js';
import type { DeckClient } from '../client/remote-deck.js';
import { setUi, type AppStore, type ConfirmState } from '../store.js';
import { diffLayout } from './diff-layout.js';
import type { KeyPress } from './keys.js';
import { plural } from './layout.js';

export interface ReviewActionsOptions {
  store: AppStore;
  client: DeckClient;
  keymap: Keymap;
  flash: (text: string, level?: 'info' | 'warn' | 'error') => void;
  confirm: (prompt: string, onYes: () => void, more?: Pick<ConfirmState, 'choices' | 'panel'>) => void;
}

export class ReviewActions {
  constructor(private readonly o: ReviewActionsOptions) {}

  /** Run `diff`, `merge`, `push` or `validate` on the selected worker. */
  run(command: string, selected: WorkerRecord): void {
    const { client } = this.o;
    switch (command) {
      case 'diff':
        return this.openDiff(selected.id);
      case 'merge':
        return this.previewMerge(selected.id, selected.name);
      case 'push':
        this.o.flash(`Pushing ${selected.name}…`);
        client
          .execute({ type: 'push', id: selected.id })
          .then((r) => this.o.flash(`Pushed ${r.branch} to ${r.remote}. ${r.note}`, r.prUrl ? 'info' : 'warn'))
          .catch((error: Error) => this.o.flash(error.message, 'error'));
        return;
      case 'validate':
        client
          .execute({ type: 'validate', id: selected.id })
          .then((v) => this.o.flash(`Validating ${selected.name}: ${v.command} (output in ${v.log}; i shows its end).`))
          .catch((error: Error) => this.o.flash(error.message, 'error'));
        return;
    }
  }

  /** `D` on a worker with a worktree of its own. */
  cleanup(selected: WorkerRecord): void {
    this.previewCleanup(selected.id, selected.name);
  }

  /** Open the diff view (d) on a worker; the diff arrives from the server. */
  private openDiff(id: string): void {
    const { store, client } = this.o;
    setUi(store, { mode: 'diff', diff: { workerId: id, diff: null, error: null, file: 0, scroll: 0 } });
    client
      .execute({ type: 'diff', id })
      .then((diff) => {
        const view = store.getState().ui.diff;
        if (view?.workerId === id) setUi(store, { diff: { ...view, diff } });
      })
      .catch((error: Error) => {
        const view = store.getState().ui.diff;
        if (view?.workerId === id) setUi(store, { diff: { ...view, error: error.message } });
      });
  }

  onDiffKey(key: KeyPress): void {
    const { store, keymap } = this.o;
    const { diff: view, cols, rows } = store.getState().ui;
    const command = commandFor(keymap, 'diff', key.name);
    if (!view || command === 'diff.close' || keymap.byKey.get(key.name) === 'diff') {
      setUi(store, { mode: 'list', diff: null });
      return;
    }
    if (command === 'help') return setUi(store, { mode: 'help', diff: null });
    const files = view.diff?.files ?? [];
    const page = diffLayout(cols, rows).bodyRows;
    const lines = files[view.file]?.lines.length ?? 0;
    const maxScroll = Math.max(0, lines - page);
    const move = (file: number) => setUi(store, { diff: { ...view, file, scroll: 0 } });
    const scroll = (by: number) => setUi(store, { diff: { ...view, scroll: Math.max(0, Math.min(maxScroll, view.scroll + by)) } });
    switch (command) {
      case 'diff.next-file':
        return files.length > 0 ? move((view.file + 1) % files.length) : undefined;
      case 'diff.prev-file':
        return files.length > 0 ? move((view.file - 1 + files.length) % files.length) : undefined;
      case 'diff.down':
        return scroll(1);
      case 'diff.up':
        return scroll(-1);
      case 'diff.page-down':
        return scroll(Math.max(1, page - 1));
      case 'diff.page-up':
        return scroll(-Math.max(1, page - 1));
    }
  }

  /** `m`: ask the server what the merge would do, show it, and merge on yes (or 1/2/3 for a strategy). */
  private previewMerge(id: string, name: string): void {
    const { client } = this.o;
    this.o.flash(`Checking how ${name} would merge…`);
    client
      .execute({ type: 'merge-preview', id })
      .then((p) => {
        if (p.refusal) return this.o.flash(`Cannot merge ${name}: ${p.refusal}`, 'error');
        const merge = (strategy: MergeStrategy) => () => {
          this.o.flash(`Merging ${name} into ${p.target} (${STRATEGY_LABEL[strategy]})…`);
          client
            .execute({ type: 'merge', id, strategy, commitUncommitted: true })
            .then((r) =>
              this.o.flash(`Merged ${name} into ${r.target} (${STRATEGY_LABEL[r.strategy]}, ${plural(r.commits, 'commit')}${r.committedUncommitted ? ', its uncommitted files committed first' : ''}): ${r.target} is at ${r.commit.slice(0, 7)}.`),
            )
            .catch((error: Error) => this.o.flash(error.message, 'error'));
        };
        const files = p.uncommitted.length > 0 ? `, ${plural(p.uncommitted.length, 'uncommitted file')} committed first` : '';
        this.o.confirm(
          `Merge ${p.branch} into ${p.target} (${STRATEGY_LABEL[p.strategy]}): ${plural(p.commits.length, 'commit')}${files}, no conflicts? (y/n; 1 merge commit, 2 squash, 3 rebase)`,
          merge(p.strategy),
          {
            choices: { 'confirm.merge-commit': merge('merge'), 'confirm.squash': merge('squash'), 'confirm.rebase': merge('rebase') },
            panel: { title: `Merge ${name} into ${p.target}?`, lines: mergePanel(p) },
          },
        );
      })
      .catch((error: Error) => this.o.flash(error.message, 'error'));
  }

  /** `D` on a worker with a worktree: say what would be lost, then remove it (kept in the trash) on yes. */
  private previewCleanup(id: string, name: string): void {
    const { client, store } = this.o;
    this.o.flash(`Checking what removing ${name} would lose…`);
    client
      .execute({ type: 'cleanup-preview', id })
      .then((p) => {
        const remove = () => {
          const at = store.getState().deck.order.indexOf(id);
          client
            .execute({ type: 'cleanup', id, confirmLoss: !(p?.safe ?? true) })
            .then((r) => {
              const rest = store.getState().deck.order;
              if (!rest.includes(store.getState().ui.selectedId ?? '')) setUi(store, { selectedId: rest[Math.min(at, rest.length - 1)] ?? null });
              this.o.flash(r ? `Removed ${name} with its worktree and branch; workerdeck restore ${name} brings them back (${r.trashRef}).` : `Removed ${name}.`);
            })
            .catch((error: Error) => this.o.flash(error.message, 'error'));
        };
        if (!p) return this.o.confirm(`Remove ${name} from the list? (y/n)`, remove);
        const prompt = p.safe
          ? `Remove ${name} with its worktree and branch ${p.branch}? It is merged into ${p.base} and clean. (y/n)`
          : `Remove ${name}? It has ${describeLoss(p)}. They are kept in the trash (workerdeck restore ${name}). Remove anyway? (y/n)`;
        this.o.confirm(prompt, remove);
      })
      .catch((error: Error) => this.o.flash(error.message, 'error'));
  }
}

/** The merge preview as panel lines: target, strategy, commits, uncommitted files, conflicts. */
function mergePanel(p: MergePreview): NonNullable<ConfirmState['panel']>['lines'] {
  const lines: NonNullable<ConfirmState['panel']>['lines'] = [
    { text: `Target: ${p.target}${p.targetCheckout ? ` (checked out in ${p.targetCheckout}, clean)` : ''}`, tone: 'normal' },
    { text: `Strategy: ${STRATEGY_LABEL[p.strategy]} (y); 1 merge commit, 2 squash, 3 rebase and fast-forward`, tone: 'normal' },
    { text: 'Conflicts: none (checked with git merge-tree; no working tree was touched)', tone: 'accent' },
    { text: `Commits (${p.commits.length}):`, tone: 'normal' },
    ...p.commits.slice(-8).map((c) => ({ text: `  ${c.sha.slice(0, 7)} ${c.subject}`, tone: 'muted' as const })),
  ];
  if (p.uncommitted.length > 0) {
    lines.push({ text: `Uncommitted files (${p.uncommitted.length}), committed first with the completion summary as the message:`, tone: 'warning' });
    for (const f of p.uncommitted.slice(0, 8)) lines.push({ text: `  ${f}`, tone: 'muted' });
    if (p.uncommitted.length > 8) lines.push({ text: `  and ${p.uncommitted.length - 8} more`, tone: 'muted' });
  }
  return lines;
}

