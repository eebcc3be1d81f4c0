/**
 * Desktop notifications from the TUI through the terminal: OSC 9
 * (`ESC ] 9 ; text BEL`: iTerm2, WezTerm, kitty, foot, Windows Terminal) or
 * OSC 777 (`ESC ] 777 ; notify ; title ; body BEL`: urxvt, VTE terminals),
 * for the same events as `notify.command` (src/core/notify.ts). With
 * `desktopWhen: "unfocused"` the deck turns on focus reporting
 * (`CSI ? 1004 h`) and notifies only while the terminal has no focus.
 */
import type { DeckEvent, DeckState } from '../core/deck-state.js';
import { notifyEvents, type NotifyEvent } from '../core/notify.js';

export interface DesktopNotifyConfig {
  desktop: 'off' | 'osc9' | 'osc777';
  desktopWhen: 'unfocused' | 'always';
}

const FOCUS_ON = '\u001b[?1004h';
const FOCUS_REPORT_RE = /\u001b\[[IO]/g;

const LABEL: Record<NotifyEvent['event'], string> = {
  question: 'asks',
  'needs-input': 'needs input',
  completion: 'completed',
  failure: 'failed',
  validation: 'validation',
  limit: 'hit a usage limit',
};

/** Text safe inside an OSC string: no control characters (an ESC or BEL would end it), at most 200 chars. */
function oscText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').slice(0, 200);
}

/** The escape sequence of one desktop notification, or '' when `style` is off. */
export function desktopNotification(style: DesktopNotifyConfig['desktop'], n: NotifyEvent): string {
  const title = oscText(`workerdeck: ${n.worker.name} ${LABEL[n.event]}`);
  const body = oscText(n.text);
  if (style === 'osc9') return `\u001b]9;${title}: ${body}\u0007`;
  // OSC 777's fields are separated by ';': none may hold one.
  if (style === 'osc777') return `\u001b]777;notify;${title.replace(/;/g, ',')};${body.replace(/;/g, ',')}\u0007`;
  return '';
}

/** Follows the TUI's events and the terminal's focus; says what to write for each event. */
export class DesktopNotifier {
  private focused = true;

  constructor(private readonly config: DesktopNotifyConfig) {}

  /** True when the deck asks the terminal for focus reports. */
  get tracksFocus(): boolean {
    return this.config.desktop !== 'off' && this.config.desktopWhen === 'unfocused';
  }

  /** The modes to turn on after entering (or re-entering) the alternate screen: focus reporting, or ''. */
  modes(): string {
    return this.tracksFocus ? FOCUS_ON : '';
  }

  /** A key the decoder named: `focus-in`/`focus-out` are consumed here (true). */
  onKey(name: string): boolean {
    if (name !== 'focus-in' && name !== 'focus-out') return false;
    this.focused = name === 'focus-in';
    return true;
  }

  /** Raw input for an attached worker, without the deck's own focus reports. */
  filterInput(data: string): string {
    return this.tracksFocus ? data.replace(FOCUS_REPORT_RE, '') : data;
  }

  /** What to write to the terminal for one event (read against the state before it), or ''. */
  onEvent(before: DeckState, after: DeckState, event: DeckEvent): string {
    if (this.config.desktop === 'off' || (this.tracksFocus && this.focused)) return '';
    return notifyEvents(before, after, event, Date.now())
      .map((n) => desktopNotification(this.config.desktop, n))
      .join('');
  }
}
