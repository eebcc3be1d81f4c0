import { useEffect, useState } from 'react';

/** The current time in ms, refreshed every `everyMs`, for ages in the list and the panel. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
