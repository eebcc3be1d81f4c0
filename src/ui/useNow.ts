import { createContext, useContext, useEffect, useState } from 'react';
import { ageRedrawAt } from '../core/worker.js';

/** The clock the views read ages from: real time in the app, a fake one in tests. */
export interface ViewClock {
  /** Epoch ms. */
  now(): number;
  /** Run `fn` once after `ms`; returns the function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

/** Real time: `Date.now` and `setTimeout`. */
export const REAL_CLOCK: ViewClock = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

/** The views' clock; tests provide a fake one. */
export const ClockContext = createContext<ViewClock>(REAL_CLOCK);

/**
 * The current time in epoch ms for a view that shows the ages (`formatAge`) of
 * `stamps` (epoch ms). It re-renders the view only when one of those ages would
 * show other text (`ageRedrawAt`: at the soonest such moment, on a grid of the wall
 * clock so that many ages change in one frame), so a deck whose ages read `3m`
 * draws nothing for the rest of that minute, and with no stamps never wakes.
 * Every render reads the clock afresh, so a render for any other reason shows
 * exact ages too.
 */
export function useAgeNow(stamps: readonly number[]): number {
  const clock = useContext(ClockContext);
  const [tick, setTick] = useState(0);
  const now = clock.now();
  const key = stamps.join(',');
  useEffect(() => {
    if (stamps.length === 0) return;
    // From the time this render showed, so a change between the render and now is not skipped.
    let due = Infinity;
    for (const stamp of stamps) due = Math.min(due, ageRedrawAt(now, stamp));
    if (!Number.isFinite(due)) return;
    let cancel = () => {};
    // A timer can fire a little before `due` by the wall clock (the event loop's time lags
    // behind after a long render): wait out the rest rather than draw the same text again.
    const arm = () => {
      cancel = clock.after(Math.max(1, due - clock.now()), () => (clock.now() >= due ? setTick((t) => t + 1) : arm()));
    };
    arm();
    return () => cancel();
    // `key` stands for `stamps` by value: a new array with the same stamps schedules nothing new.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [clock, key, tick]);
  return now;
}
