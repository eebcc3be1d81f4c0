/**
 * Whether a program has focus reporting on (DECSET 1004: the terminal sends
 * `ESC [ I` on focus-in and `ESC [ O` on focus-out), read from its output as
 * it goes to the terminal: the last `CSI ? … 1004 h` or `l` wins, in any of
 * its parameter lists (`CSI ? 1004 ; 2004 h`). A sequence cut across two
 * chunks is kept until the next one.
 */
export class FocusMode {
  private carry = '';
  private enabled = false;

  /** True when the last switch seen turned focus reporting on. */
  get on(): boolean {
    return this.enabled;
  }

  /** Output of the program, in order. */
  push(chunk: string): void {
    const text = this.carry + chunk;
    // eslint-disable-next-line no-control-regex
    for (const m of text.matchAll(/\u001b\[\?([\d;]*)([hl])/g)) {
      if (m[1]!.split(';').includes('1004')) this.enabled = m[2] === 'h';
    }
    // A DECSET cut at the end of the chunk: at most `ESC [ ? ` and a few parameters.
    const cut = text.lastIndexOf('\u001b');
    this.carry = cut >= 0 && text.length - cut < 32 && /^\u001b(\[(\?[\d;]*)?)?$/.test(text.slice(cut)) ? text.slice(cut) : '';
  }
}
