/** Waits `ms`; the timer does not keep the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Waits for `promise`, but at most `ms`: a store that is down must not hang an unload or a shutdown. */
export async function atMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** The delay before retry `attempt` (1, 2, ...): doubling from `min` up to `max`, with jitter so instances spread out. */
export function retryDelay(attempt: number, { min, max }: RetryDelays): number {
  return Math.min(max, min * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
}

/** Backoff between retries: `min` ms first, doubling after each failure up to `max` ms. */
export interface RetryDelays {
  /** The first delay (ms), at least 1. */
  min: number;
  /** The longest delay (ms), at least `min`. */
  max: number;
}
