import { useEffect, useRef, useState } from 'react';

/** The current time, ticking every second while `active`. */
export function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [active]);
  return now;
}

const visible = () => document.visibilityState === 'visible';

/**
 * Runs `task` now and then `intervalMs` after each run ends, only while the page is visible:
 * a hidden tab or minimised window makes no requests, and catches up as soon as it is shown again.
 * One run at a time; `task` handles its own errors.
 */
export function useVisiblePolling(task: () => Promise<void>, intervalMs: number): void {
  const taskRef = useRef(task);
  taskRef.current = task;

  useEffect(() => {
    let stopped = false;
    let running = false;
    let timer: number | undefined;

    const run = async () => {
      timer = undefined;
      if (stopped || running || !visible()) return;
      running = true;
      try {
        await taskRef.current();
      } finally {
        running = false;
      }
      if (!stopped && visible() && timer === undefined) timer = window.setTimeout(run, intervalMs);
    };
    const onVisibility = () => {
      if (!visible()) {
        window.clearTimeout(timer);
        timer = undefined;
      } else if (timer === undefined) {
        void run();
      }
    };

    void run();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [intervalMs]);
}
