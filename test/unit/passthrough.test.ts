import { describe, expect, it } from 'vitest';
import { MODE_RESET } from '../../src/core/detach-key.js';
import { AltScreenFilter, type PassPiece } from '../../src/core/passthrough.js';

const ESC = '\u001b';

/** Feed chunks in order; the bytes that pass (joined) and the switches seen, each with its chunk index. */
function run(chunks: string[]): { out: string; switches: { alt: boolean; chunk: number; end: number }[]; pieces: PassPiece[][] } {
  const filter = new AltScreenFilter();
  let out = '';
  const switches: { alt: boolean; chunk: number; end: number }[] = [];
  const pieces: PassPiece[][] = [];
  chunks.forEach((chunk, index) => {
    const got = filter.push(chunk);
    pieces.push(got);
    for (const p of got) {
      if (p.kind === 'bytes') out += p.data;
      else switches.push({ alt: p.alt, chunk: index, end: p.end });
    }
  });
  return { out, switches, pieces };
}

describe('AltScreenFilter', () => {
  it('passes output without switches byte for byte, in one piece per chunk', () => {
    const chunks = [
      'plain text\r\n',
      `${ESC}[1;31mred${ESC}[0m ${ESC}[?25l${ESC}[?2004h${ESC}[2J${ESC}[H`,
      `${ESC}]0;title with [?1049h in it${ESC}\\ ✅ 日本語 ${ESC}[?1h${ESC}=`,
      `${ESC}[?1000h${ESC}[?1006h${ESC}[>1u${ESC}[<u${ESC}P+q${ESC}\\`,
    ];
    const { out, switches, pieces } = run(chunks);
    expect(out).toBe(chunks.join(''));
    expect(switches).toEqual([]);
    expect(pieces.map((p) => p.length)).toEqual([1, 1, 1, 1]);
  });

  it('removes 1049, 1047 and 47 set and reset, and says where each ended', () => {
    const chunk = `a${ESC}[?1049hb${ESC}[?1049lc${ESC}[?1047hd${ESC}[?1047le${ESC}[?47hf${ESC}[?47lg`;
    const { out, switches } = run([chunk]);
    expect(out).toBe('abcdefg');
    expect(switches.map((s) => s.alt)).toEqual([true, false, true, false, true, false]);
    // `end` is just past each switch's final byte.
    for (const s of switches) expect(chunk[s.end - 1]).toMatch(/[hl]/);
    expect(chunk.slice(switches[0]!.end, switches[0]!.end + 1)).toBe('b');
    expect(chunk.slice(switches[5]!.end)).toBe('g');
  });

  it('keeps the order of bytes and switches', () => {
    const { pieces } = run([`before${ESC}[?1049hafter`]);
    expect(pieces[0]).toEqual([
      { kind: 'bytes', data: 'before' },
      { kind: 'switch', alt: true, end: 14 },
      { kind: 'bytes', data: 'after' },
    ]);
  });

  it('keeps the other private modes of a combined CSI', () => {
    const { out, switches } = run([`x${ESC}[?1049;2004hy${ESC}[?1;1049;25lz${ESC}[?47;1047h`]);
    expect(out).toBe(`x${ESC}[?2004hy${ESC}[?1;25lz`);
    expect(switches.map((s) => s.alt)).toEqual([true, false, true]);
  });

  it('sees no switch in longer or other numbers, other finals, or non-private modes', () => {
    const chunks = [
      `${ESC}[?10490h${ESC}[?1049${ESC}[?11049l${ESC}[?104h${ESC}[?4h${ESC}[?149h`,
      `${ESC}[1049h${ESC}[47l${ESC}[?1049$p${ESC}[?1049r${ESC}[?1049s${ESC}[>1049h${ESC}[?1049:1h`,
      `\u0090?1049h\u009c${ESC}]2;${ESC}[?1049h`,
    ];
    const { out, switches } = run(chunks);
    expect(switches).toEqual([{ alt: true, chunk: 2, end: chunks[2]!.length }]);
    // The last one: ESC ends the OSC (as in xterm's parser) and starts a real switch.
    expect(out).toBe(`${chunks[0]}${chunks[1]}\u0090?1049h\u009c${ESC}]2;`);
  });

  it('finds a switch split across chunks at every point, and reports its end in the last chunk', () => {
    const whole = `ab${ESC}[?1049;2004hcd`;
    for (let cut1 = 1; cut1 < whole.length; cut1++) {
      for (let cut2 = cut1; cut2 < whole.length; cut2++) {
        const chunks = [whole.slice(0, cut1), whole.slice(cut1, cut2), whole.slice(cut2)];
        const { out, switches } = run(chunks);
        expect(out, JSON.stringify(chunks)).toBe(`ab${ESC}[?2004hcd`);
        expect(switches, JSON.stringify(chunks)).toHaveLength(1);
        const s = switches[0]!;
        expect(chunks[s.chunk]!.slice(0, s.end).endsWith('h'), JSON.stringify(chunks)).toBe(true);
        expect(chunks[s.chunk]!.slice(s.end) + chunks.slice(s.chunk + 1).join('')).toBe('cd');
      }
    }
  });

  it('gives the same bytes and switches however the stream is cut into chunks', () => {
    const stream = [
      `plain ${ESC}[1;31mred${ESC}[0m ok?\r\n`,
      `${ESC}]0;title?${ESC}[?1049h${ESC}\\`,
      `${ESC}]8;;http://x/?a=1\u0007link${ESC}]8;;\u0007`,
      `${ESC}[?25l${ESC}[?1049;1hpager${ESC}[H${ESC}[2J`,
      `\u009b?47h${ESC}P1$r${ESC}[?1047l${ESC}\\ ${ESC}[?47l`,
      `${ESC}c after reset ${ESC}[?10490h ${ESC}[?1049l${ESC}`,
    ].join('');
    const whole = run([stream]);
    const alts = whole.switches.map((s) => s.alt);
    expect(alts.length).toBeGreaterThan(3);
    for (let a = 0; a < stream.length; a += 2) {
      for (let b = a; b < stream.length; b += 5) {
        const cut = run([stream.slice(0, a), stream.slice(a, b), stream.slice(b)]);
        expect(cut.out, `cut at ${a}, ${b}`).toBe(whole.out);
        expect(cut.switches.map((s) => s.alt), `cut at ${a}, ${b}`).toEqual(alts);
      }
    }
    // One character at a time, too.
    const single = run([...stream]);
    expect(single.out).toBe(whole.out);
    expect(single.switches.map((s) => s.alt)).toEqual(alts);
  });

  it('holds back only a tail that may still become a switch', () => {
    const filter = new AltScreenFilter();
    expect(filter.push(`text${ESC}[?10`)).toEqual([{ kind: 'bytes', data: 'text' }]);
    expect(filter.push('49')).toEqual([]);
    expect(filter.push('0hmore')).toEqual([{ kind: 'bytes', data: `${ESC}[?10490hmore` }]);
    // An SGR split in two is no candidate: it passes at once.
    expect(filter.push(`${ESC}[38;5;`)).toEqual([{ kind: 'bytes', data: `${ESC}[38;5;` }]);
    expect(filter.push(`196mred`)).toEqual([{ kind: 'bytes', data: '196mred' }]);
    // ... and a ?1049 right after it is still seen.
    expect(filter.push(`${ESC}[?1049h`)).toEqual([{ kind: 'switch', alt: true, end: 8 }]);
  });

  it('handles the 8-bit CSI, CAN aborts, and C0 controls inside the sequence as xterm does', () => {
    const { out, switches } = run([`\u009b?1049h1${ESC}[?10\u001849h2${ESC}[?10\r49l3`]);
    expect(switches.map((s) => s.alt)).toEqual([true, false]);
    // CAN aborted the second; the CR inside the third still runs.
    expect(out).toBe(`1${ESC}[?10\u001849h2\r3`);
  });

  it('lets a runaway sequence through without growing the carry-over', () => {
    const filter = new AltScreenFilter();
    const long = `${ESC}[?${'1;'.repeat(400)}`;
    const out = filter.push(long);
    expect(out.map((p) => (p.kind === 'bytes' ? p.data : '')).join('')).toBe(long);
    expect(filter.push('1049h')).toEqual([{ kind: 'bytes', data: '1049h' }]);
  });

  it('turns a full reset (ESC c), which would leave the alternate screen, into a mode reset and a switch', () => {
    const { out, switches, pieces } = run([`a${ESC}`, `cb${ESC}(c${ESC}[c`]);
    expect(switches).toEqual([{ alt: false, chunk: 1, end: 1 }]);
    expect(pieces[1]![0]).toEqual({ kind: 'bytes', data: MODE_RESET });
    // ESC ( c designates a character set and CSI c asks for device attributes: neither is a reset.
    expect(out).toBe(`a${MODE_RESET}b${ESC}(c${ESC}[c`);
  });

  it('reset drops an unfinished tail', () => {
    const filter = new AltScreenFilter();
    filter.push(`${ESC}[?104`);
    filter.reset();
    expect(filter.push('9hx')).toEqual([{ kind: 'bytes', data: '9hx' }]);
  });
});
