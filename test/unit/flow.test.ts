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

const LIMITS: FlowLimits = { workerHigh: 100, workerLow: 20, totalHigh: 150, totalLow: 60 };

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
    // c's own backlog is low, but the total is not: c waits for the others' bytes to be parsed.
    gc.mirrorParsed(20);
    expect(c.paused).toBe(true);
    gb.mirrorParsed(60);
    expect(c.paused).toBe(true);
    // Total 90 -> 50 (< totalLow 60): c resumes though none of its bytes were parsed now; a still has 50 of its own.
    ga.mirrorParsed(40);
    expect(c.paused).toBe(false);
    expect(a.paused).toBe(true);
    ga.mirrorParsed(31);
    expect(a.paused).toBe(false);
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
    gb.mirrorParsed(60);
    // a's 100 keep the total above totalLow.
    expect(b.paused).toBe(true);
    ga.close();
    expect(b.paused).toBe(false);
    expect(flow.idle()).toBe(true);
    // Late acknowledgements of the closed gate change nothing.
    ga.mirrorParsed(100);
    expect(flow.stats().mirrorBytes).toBe(0);
  });
});
