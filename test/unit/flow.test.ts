import { describe, expect, it } from 'vitest';
import { OutputFlow, type FlowLimits } from '../../src/pty/flow.js';

/** A PTY as flow control sees it: it only records whether it is paused. */
class Pty {
  paused = false;
  pauses = 0;
  pause(): void {
    this.paused = true;
    this.pauses++;
  }
  resume(): void {
    this.paused = false;
  }
}

const LIMITS: FlowLimits = { workerHigh: 100, workerLow: 20, totalHigh: 150, totalLow: 60, workerSmall: 5 };

describe('OutputFlow', () => {
  it("pauses one worker above its own high mark and resumes it below its low mark", () => {
    const flow = new OutputFlow(LIMITS);
    const pty = new Pty();
    const gate = flow.gate(pty);
    gate.mirrorSent(100);
    expect(pty.paused).toBe(false);
    gate.mirrorSent(1);
    expect(pty.paused).toBe(true);
    gate.mirrorParsed(70);
    expect(pty.paused).toBe(true);
    gate.mirrorParsed(12);
    expect(pty.paused).toBe(false);
    expect(flow.stats()).toMatchObject({ mirrorBytes: 19, paused: 0, mirrorPauses: 1, transcriptPauses: 0 });
  });

  it('pauses the worker that takes the total over the shared budget, and resumes every paused worker once the total is low', () => {
    const flow = new OutputFlow(LIMITS);
    const a = new Pty();
    const b = new Pty();
    const c = new Pty();
    const ga = flow.gate(a);
    const gb = flow.gate(b);
    const gc = flow.gate(c);
    ga.mirrorSent(80);
    gb.mirrorSent(60);
    expect([a.paused, b.paused]).toEqual([false, false]);
    // 150 in flight: the next bytes from anyone go over the budget.
    gc.mirrorSent(20);
    expect(c.paused).toBe(true);
    ga.mirrorSent(10);
    expect(a.paused).toBe(true);
    expect(b.paused).toBe(false);
    // c's own backlog is under workerLow, but more than workerSmall, and the total is high: c waits for the others' bytes.
    gc.mirrorParsed(10);
    expect(c.paused).toBe(true);
    gb.mirrorParsed(60);
    expect(c.paused).toBe(true);
    // Total 100 -> 60 -> 50 (< totalLow 60): c resumes though none of its bytes were parsed now; a still has 40 of its own.
    ga.mirrorParsed(40);
    expect(c.paused).toBe(true);
    ga.mirrorParsed(10);
    expect(c.paused).toBe(false);
    expect(a.paused).toBe(true);
    ga.mirrorParsed(31);
    expect(a.paused).toBe(false);
  });

  it('never holds a worker with little in flight for the others\' backlog: a keystroke\'s echo beside a flood', () => {
    const flow = new OutputFlow(LIMITS);
    const flood = new Pty();
    const typing = new Pty();
    const gf = flow.gate(flood);
    const gt = flow.gate(typing);
    gf.mirrorSent(99);
    gt.mirrorSent(5);
    gf.mirrorSent(60);
    // The flood took the total over the budget and is held; the echo's few bytes are not.
    expect(flow.stats().mirrorBytes).toBe(164);
    expect([flood.paused, typing.paused]).toEqual([true, false]);
    gt.mirrorParsed(5);
    gt.mirrorSent(4);
    expect(typing.paused).toBe(false);
    // More than a little, while the total is still high: now it is held too, and let go once its own bytes are parsed.
    gt.mirrorSent(2);
    expect(typing.paused).toBe(true);
    gt.mirrorParsed(6);
    expect(typing.paused).toBe(false);
    expect(flood.paused).toBe(true);
  });

  it('holds a worker while its transcript is over its high-water mark, whatever the mirror says', () => {
    const flow = new OutputFlow(LIMITS);
    const pty = new Pty();
    const gate = flow.gate(pty);
    gate.transcriptBlocked();
    expect(pty.paused).toBe(true);
    gate.mirrorSent(5);
    gate.mirrorParsed(5);
    expect(pty.paused).toBe(true);
    gate.transcriptDrained();
    expect(pty.paused).toBe(false);
    expect(flow.stats().transcriptPauses).toBe(1);
    // Drained, but the mirror is still behind: stays paused until both are.
    gate.mirrorSent(101);
    gate.transcriptBlocked();
    gate.transcriptDrained();
    expect(pty.paused).toBe(true);
    gate.mirrorParsed(101);
    expect(pty.paused).toBe(false);
  });

  it('a closed gate gives its bytes back to the budget and lets the others go', () => {
    const flow = new OutputFlow(LIMITS);
    const a = new Pty();
    const b = new Pty();
    const ga = flow.gate(a);
    const gb = flow.gate(b);
    ga.mirrorSent(100);
    gb.mirrorSent(60);
    expect(b.paused).toBe(true);
    gb.mirrorParsed(50);
    // a's 100 keep the total above totalLow, and b has more than a little in flight.
    expect(b.paused).toBe(true);
    ga.close();
    expect(b.paused).toBe(false);
    gb.mirrorParsed(10);
    expect(flow.idle()).toBe(true);
    // Late acknowledgements of the closed gate change nothing.
    ga.mirrorParsed(100);
    expect(flow.stats().mirrorBytes).toBe(0);
  });
});
