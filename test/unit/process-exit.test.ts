import { describe, expect, it } from 'vitest';
import { ExitGuard } from '../../src/process-exit.js';
import { waitFor } from '../helpers/term.js';

describe('ExitGuard', () => {
  it('the watchdog runs the last words and exits with the first code once the budget is spent', async () => {
    const exits: number[] = [];
    const steps: string[] = [];
    const guard = new ExitGuard({ budgetMs: 300, exit: (code) => exits.push(code) });
    guard.onLastWords(() => steps.push('kill sessions'));
    guard.onLastWords(() => {
      throw new Error('the terminal is gone');
    });
    guard.onLastWords(() => steps.push('restore terminal'));
    expect(guard.remainingMs()).toBe(Infinity);
    guard.begin(129);
    guard.begin(0);
    expect(guard.begun).toBe(true);
    expect(guard.remainingMs()).toBeLessThanOrEqual(300);
    // A cleanup that never ends cannot hold the exit.
    void guard.within(new Promise(() => undefined));
    await waitFor(() => exits.length > 0, 'the watchdog');
    expect(exits).toEqual([129]);
    expect(steps).toEqual(['kill sessions', 'restore terminal']);
  });

  it('within() says whether a step settled in time, and never rejects', async () => {
    const guard = new ExitGuard({ exit: () => undefined });
    expect(await guard.within(Promise.resolve('done'), 10_000)).toBe(true);
    expect(await guard.within(Promise.reject(new Error('disk gone')), 10_000)).toBe(true);
    expect(await guard.within(new Promise(() => undefined), 20)).toBe(false);
  });

  it('exitNow() ends at once, with the code it is given, and the watchdog does not fire after it', async () => {
    const exits: number[] = [];
    let words = 0;
    const guard = new ExitGuard({ budgetMs: 260, exit: (code) => exits.push(code) });
    guard.onLastWords(() => words++);
    guard.begin(143);
    guard.exitNow(0);
    expect(exits).toEqual([0]);
    expect(words).toBe(1);
    // A second guard armed later with the same budget: once its watchdog fired, the first one's would have.
    const later: number[] = [];
    new ExitGuard({ budgetMs: 260, exit: (code) => later.push(code) }).begin(1);
    await waitFor(() => later.length > 0, "the later guard's watchdog");
    expect(exits).toEqual([0]);
  });
});
