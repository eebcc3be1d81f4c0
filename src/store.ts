import { createStore, type StoreApi } from 'zustand/vanilla';
import { emptyDeckState, type DeckState } from './core/deck-state.js';
import type { MailMessage } from './core/mail.js';
import type { WorkerDiff } from './core/review.js';

export type Mode = 'list' | 'spawn' | 'reply' | 'confirm' | 'help' | 'details' | 'warnings' | 'diff';

export const SPAWN_FIELDS = ['task', 'name', 'agent', 'worktree', 'base', 'skipPermissions'] as const;
export type SpawnField = (typeof SPAWN_FIELDS)[number];

export interface SpawnFormState {
  task: string;
  name: string;
  /** True once the operator typed a name; until then it follows the task. */
  nameTouched: boolean;
  agent: string;
  worktree: boolean;
  base: string;
  skipPermissions: boolean;
  field: SpawnField;
  /** The cursor in the focused text field, in code points; undefined: at its end. */
  cursor?: number | undefined;
  /** Set while the spawn runs, so a second Enter does not spawn twice. */
  busy: boolean;
}

export interface ReplyState {
  workerId: string;
  inReplyTo: string | null;
  /** The question being answered, shown above the box. */
  question: string | null;
  text: string;
  /** The cursor in `text`, in code points; undefined: at its end. */
  cursor?: number | undefined;
  busy: boolean;
  /** Set when the box takes the reason of a permission deny (N): the ask denied and what it asked. */
  deny?: { askId: string; tool: string; detail: string; what: string } | undefined;
}

export interface ConfirmState {
  prompt: string;
  /** Runs on `y`. */
  onYes: () => void;
  /** Other answers than yes: confirm-layer command id → what it runs (the merge strategies). */
  choices?: Record<string, () => void>;
  /** Lines shown in the preview pane while the question is open (a merge or cleanup preview). */
  panel?: { title: string; lines: { text: string; tone: 'normal' | 'muted' | 'warning' | 'error' | 'accent' }[] };
}

/** The diff view (d): the worker's diff once it arrived, the file shown and how far its hunks are scrolled. */
export interface DiffViewState {
  workerId: string;
  diff: WorkerDiff | null;
  /** Why the diff could not be read, or null. */
  error: string | null;
  file: number;
  /** Lines of the file's hunks scrolled past. */
  scroll: number;
}

export interface Flash {
  text: string;
  level: 'info' | 'warn' | 'error';
  at: number;
}

/** One worker's mail paged in from `mail/cur`. */
export interface OlderMail {
  /** Oldest first; all older than what the deck holds in memory. */
  messages: MailMessage[];
  /** The seq to page on from; null once the start of `mail/cur` is reached. */
  before: number | null;
  loading: boolean;
}

export interface UiState {
  mode: Mode;
  selectedId: string | null;
  spawn: SpawnFormState | null;
  reply: ReplyState | null;
  /** Drafts kept when a reply is cancelled, by worker id. */
  drafts: Record<string, string>;
  confirm: ConfirmState | null;
  diff: DiffViewState | null;
  flash: Flash | null;
  /** Lines the preview is scrolled back (0 = live). */
  previewScroll: number;
  /** Lines the mail thread is scrolled up from its end (0 = newest). */
  mailScroll: number;
  /** Lines the open overlay (help, details, warnings) is scrolled down from its top. */
  overlayScroll?: number;
  /** Older mail paged in from `mail/cur` per worker id, as the thread is scrolled back. */
  olderMail: Record<string, OlderMail>;
  /** Terminal size in cells. */
  cols: number;
  rows: number;
  /** Id of the last warning shown, so each warning flashes once. */
  lastWarningId: number;
}

export interface AppState {
  deck: DeckState;
  ui: UiState;
}

export type AppStore = StoreApi<AppState>;

/** The store the UI reads: the Deck's state plus UI-only state. No PTY bytes ever go in here. */
export function createAppStore(cols: number, rows: number): AppStore {
  return createStore<AppState>(() => ({
    deck: emptyDeckState(),
    ui: {
      mode: 'list',
      selectedId: null,
      spawn: null,
      reply: null,
      drafts: {},
      confirm: null,
      diff: null,
      flash: null,
      previewScroll: 0,
      mailScroll: 0,
      olderMail: {},
      cols,
      rows,
      lastWarningId: 0,
    },
  }));
}

/** Shallow-merge a patch into the UI state. */
export function setUi(store: AppStore, patch: Partial<UiState>): void {
  store.setState((s) => ({ ui: { ...s.ui, ...patch } }));
}
