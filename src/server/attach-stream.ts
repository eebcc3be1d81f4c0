import { AltScreenFilter } from '../core/passthrough.js';
import type { ScreenSwitch } from '../pty/types.js';

type Entry = { kind: 'bytes'; data: string } | { kind: 'initial' } | { kind: 'switch' };

/**
 * The worker's output on its way to the real terminal while attached. Bytes
 * pass through as they are, but for the worker's alternate-screen switches
 * (AltScreenFilter): in place of each, the terminal gets the worker's
 * now-active screen, painted from its mirror as it was right after the switch
 * (`MirrorHandle.watchSwitches`), and output after a switch waits until that
 * paint is written. So the real terminal stays on the deck's alternate
 * screen and shows what the worker's own terminal would show.
 *
 * Wiring (the terminal host does it): install the tap (`output`) and the
 * mirror's switch watcher (`switched`) together, before any further output of
 * the worker, so both see the same bytes; request the initial screen at the
 * same time and hand it to `begin`. No I/O of its own: `write` is the seam.
 */
export class AttachStream {
  private readonly filter = new AltScreenFilter();
  /** Output not yet written, oldest first from `head`: bytes, and paints that wait for their screen. */
  private queue: Entry[] = [{ kind: 'initial' }];
  private head = 0;
  private initial: string | null = null;
  /** Screens the mirror reported for switches not yet reached in `queue`, oldest first. */
  private readonly screens: string[] = [];
  /** The mirror can report no more switches: paint nothing, wait for nothing. */
  private lost = false;
  private closed = false;

  /** @param write writes to the real terminal (best effort; must not throw) */
  constructor(private readonly write: (data: string) => void) {}

  /** Output of the worker, in order, as the Deck's tap delivers it (before its mirror parses it). */
  output(chunk: string): void {
    if (this.closed) return;
    for (const piece of this.filter.push(chunk)) {
      this.queue.push(piece.kind === 'bytes' ? piece : { kind: 'switch' });
    }
    this.drain();
  }

  /**
   * The first paint: whatever resets the terminal, then the worker's active
   * screen as the mirror had it when the tap was installed. Output that
   * arrived before it waits, then follows it.
   */
  begin(screen: string): void {
    if (this.closed) return;
    this.initial = screen;
    this.drain();
  }

  /** A switch report from the mirror, or null when no more will come. */
  switched(change: ScreenSwitch | null): void {
    if (this.closed) return;
    if (change) this.screens.push(change.screen);
    else this.lost = true;
    this.drain();
  }

  /** Stop (detach): drop whatever is held; later calls do nothing. */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.head = 0;
    this.screens.length = 0;
    this.filter.reset();
  }

  /** Entries held back, waiting for a paint (for tests and diagnostics). */
  get held(): number {
    return this.queue.length - this.head;
  }

  private drain(): void {
    let out = '';
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      if (entry.kind === 'bytes') out += entry.data;
      else if (entry.kind === 'initial') {
        if (this.initial === null) break;
        out += this.initial;
        this.initial = null;
      } else {
        const screen = this.screens.shift();
        if (screen !== undefined) out += screen;
        else if (!this.lost) break;
      }
      this.head++;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    // One write per drain: a paint and the output after it reach the terminal together.
    if (out) this.write(out);
  }
}
