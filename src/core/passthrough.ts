/**
 * The alternate-screen filter for attach. While attached, the deck owns the
 * real terminal's screen mode: a worker's own switches to and from its
 * alternate screen (`CSI ?1049h/l`, `CSI ?1047h/l`, `CSI ?47h/l`, and a full
 * reset) must change what the deck shows, never which screen the real
 * terminal is on. This scans the worker's output as a stream, removes those
 * switches (keeping any other private modes set in the same CSI) and reports
 * where each one was. Pure: no I/O, no Ink, no Deck.
 */

import { MODE_RESET } from './detach-key.js';

/** What the filter makes of a chunk, in stream order. */
export type PassPiece =
  /** Bytes for the real terminal, unchanged but for removed switches. */
  | { kind: 'bytes'; data: string }
  /**
   * A removed switch: `alt` is true when the worker entered its alternate
   * screen. A full reset (RIS, `ESC c`), which also leaves it, counts as a
   * switch with `alt` false; it is replaced by MODE_RESET. `end` is the
   * offset in the chunk just past the switch's final byte (the sequence may
   * have begun in an earlier chunk).
   */
  | { kind: 'switch'; alt: boolean; end: number };

/** The private modes that switch xterm's screen buffer. */
const SWITCH_MODES = new Set([47, 1047, 1049]);

/**
 * A CSI longer than this cannot be a mode switch anyone sends; it passes
 * through as it is, so a runaway sequence cannot grow the carry-over.
 */
const MAX_CSI = 256;

const ESC = 0x1b;
const CAN = 0x18;
const SUB = 0x1a;
const C1_CSI = 0x9b;

type State = 'ground' | 'esc' | 'csi' | 'string';

// The bytes that end each state's fast skip: ground looks for ESC and the C1
// introducers; a control string (OSC, DCS, SOS, PM, APC) ends at ESC, BEL,
// ST, CAN or SUB.
// eslint-disable-next-line no-control-regex
const GROUND_STOP = /[\u001b\u0090\u0098\u009b\u009d\u009e\u009f]/g;
// eslint-disable-next-line no-control-regex
const STRING_STOP = /[\u001b\u0007\u0018\u001a\u009c]/g;
// What any switch needs: a `?` (CSI ? Pm h|l) or a C1 introducer; see also RIS below.
// eslint-disable-next-line no-control-regex
const MAY_SWITCH = /[?\u0080-\u009f]/;
const RIS = '\u001bc';

/**
 * Streaming filter of a worker's output (one per attach). Feed it every chunk
 * in order with `push`. It parses escape sequences as xterm's parser does
 * (ESC always starts a new sequence, CAN and SUB abort one, C1 introducers
 * count only outside control strings), so `?1049` inside an OSC title or a
 * longer number such as `?10490h` is no switch.
 *
 * A chunk that ends inside a CSI that could still become a switch keeps that
 * tail (at most 256 characters) until the next chunk; everything else passes
 * at once, byte for byte.
 */
export class AltScreenFilter {
  private state: State = 'ground';
  /** The unfinished escape sequence carried over from earlier chunks. */
  private carry = '';
  /** True while inside a sequence that began in an earlier chunk and cannot be a switch. */
  private foreign = false;

  /**
   * Filter one chunk of output.
   * @param chunk output as node-pty delivers it (a UTF-8 decoded string)
   * @returns bytes and switches in stream order; empty bytes are left out
   */
  push(chunk: string): PassPiece[] {
    if (this.carry === '' && !MAY_SWITCH.test(chunk) && !chunk.includes(RIS)) {
      // No switch can be in this chunk: only its last sequence decides the state the next one starts in.
      const last = chunk.lastIndexOf('\u001b');
      if (last === -1 && this.state === 'ground') return chunk === '' ? [] : [{ kind: 'bytes', data: chunk }];
      if (last > 0) {
        const tail = this.scan(chunk.slice(last));
        const first = tail[0];
        if (first?.kind === 'bytes') tail[0] = { kind: 'bytes', data: chunk.slice(0, last) + first.data };
        else tail.unshift({ kind: 'bytes', data: chunk.slice(0, last) });
        return tail;
      }
    }
    return this.scan(chunk);
  }

  /** The state machine over the carry-over and `chunk`; see `push`. */
  private scan(chunk: string): PassPiece[] {
    const pieces: PassPiece[] = [];
    const input = this.carry + chunk;
    const offset = this.carry.length;
    this.carry = '';
    // `flushed` is where the bytes not yet handed out begin; `seq` where the escape sequence being read begins.
    let flushed = 0;
    let seq = 0;
    let i = 0;
    const emit = (to: number) => {
      if (to > flushed) pieces.push({ kind: 'bytes', data: input.slice(flushed, to) });
      flushed = to;
    };
    while (i < input.length) {
      if (this.state === 'ground' || this.state === 'string') {
        const stop = this.state === 'ground' ? GROUND_STOP : STRING_STOP;
        stop.lastIndex = i;
        const found = stop.exec(input);
        if (!found) break;
        i = found.index;
        const code = input.charCodeAt(i);
        if (code === ESC) {
          this.state = 'esc';
          this.foreign = false;
          seq = i;
        } else if (this.state === 'string') {
          this.state = 'ground';
        } else if (code === C1_CSI) {
          this.state = 'csi';
          this.foreign = false;
          seq = i;
        } else {
          this.state = 'string';
        }
        i++;
        continue;
      }
      const code = input.charCodeAt(i);
      if (this.state === 'esc') {
        if (code === 0x5b) this.state = 'csi';
        else if (code === 0x5d || code === 0x50 || code === 0x58 || code === 0x5e || code === 0x5f) this.state = 'string';
        else if (code === ESC) {
          this.foreign = false;
          seq = i;
        } else if ((code < 0x20 && code !== CAN && code !== SUB) || code === 0x7f) {
          // Other C0 controls run inside a sequence without ending it.
        } else {
          this.state = 'ground';
          // RIS (ESC c) would take the terminal back to its normal screen: reset the modes instead.
          // Only as two adjacent bytes (ESC, C0 control, c is left alone), as the fast path in `push` sees it.
          if (code === 0x63 && i === seq + 1 && !this.foreign) {
            emit(seq);
            pieces.push({ kind: 'bytes', data: MODE_RESET });
            pieces.push({ kind: 'switch', alt: false, end: i + 1 - offset });
            flushed = i + 1;
          }
        }
        i++;
        continue;
      }
      // CSI: parameters and intermediates until a final byte 0x40-0x7e.
      if (code === ESC) {
        this.state = 'esc';
        this.foreign = false;
        seq = i;
      } else if (code === CAN || code === SUB) {
        this.state = 'ground';
      } else if (code >= 0x40 && code <= 0x7e) {
        this.state = 'ground';
        const modes = this.foreign ? null : switchOf(input, seq, i);
        if (modes) {
          emit(seq);
          if (modes.rest) pieces.push({ kind: 'bytes', data: modes.rest });
          pieces.push({ kind: 'switch', alt: modes.alt, end: i + 1 - offset });
          flushed = i + 1;
        }
      } else if (i - seq > MAX_CSI) {
        this.foreign = true;
      }
      i++;
    }
    if ((this.state === 'csi' || this.state === 'esc') && !this.foreign && seq >= flushed && couldSwitch(input, seq)) {
      emit(seq);
      this.carry = input.slice(seq);
      return pieces;
    }
    // A sequence still open here cannot be a switch; its end arrives in a later chunk.
    if (this.state === 'csi' || this.state === 'esc') this.foreign = true;
    emit(input.length);
    return pieces;
  }

  /**
   * Forget any carried-over tail and start from the ground state (a new
   * attach, or the worker is gone). The tail is dropped, not emitted: it is
   * an unfinished sequence of the worker's.
   */
  reset(): void {
    this.state = 'ground';
    this.carry = '';
    this.foreign = false;
  }
}

// C0 controls (and DEL) inside a sequence are run by the terminal without ending it.
// eslint-disable-next-line no-control-regex
const INNER_CONTROLS = /[\u0000-\u0017\u0019\u001c-\u001f\u007f]/g;

/** True while `input[seq..]` (an unfinished ESC or CSI) may still turn out to be `CSI ? Pm h|l`. */
function couldSwitch(input: string, seq: number): boolean {
  const tail = input.slice(seq);
  if (tail.length > MAX_CSI) return false;
  // eslint-disable-next-line no-control-regex
  return /^(?:\u001b(?:\[(?:\?[0-9;]*)?)?|\u009b(?:\?[0-9;]*)?)$/.test(tail.replace(INNER_CONTROLS, ''));
}

/**
 * For the complete CSI `input[seq..final]`: null unless it is a private mode
 * set or reset that names an alternate-screen mode; else whether it enters the
 * alternate screen, and what must still reach the terminal: any C0 controls
 * that were inside the sequence, then the same sequence without the
 * alternate-screen modes ('' when nothing is left).
 */
function switchOf(input: string, seq: number, final: number): { alt: boolean; rest: string } | null {
  const f = input.charCodeAt(final);
  if (f !== 0x68 && f !== 0x6c) return null;
  const raw = input.slice(seq, final + 1);
  // eslint-disable-next-line no-control-regex
  const match = /^(?:\u001b\[|\u009b)\?([0-9;]*)[hl]$/.exec(raw.replace(INNER_CONTROLS, ''));
  if (!match) return null;
  const params = (match[1] ?? '').split(';');
  const kept = params.filter((p) => !SWITCH_MODES.has(Number(p || '0')));
  if (kept.length === params.length) return null;
  const controls = (raw.match(INNER_CONTROLS) ?? []).join('');
  const rest = kept.length > 0 ? `\u001b[?${kept.join(';')}${input[final]}` : '';
  return { alt: f === 0x68, rest: controls + rest };
}
