/** Runs `fn` over `items` with at most `limit` in flight; results keep the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

export interface Limiter {
  <T>(task: () => Promise<T>): Promise<T>;
  /** After the first failure no queued task starts: the read has failed, more requests would be waste. */
  stop(error: unknown): void;
  throwIfStopped(): void;
}

/** At most `max` tasks running; first come, first served. */
export function createLimiter(max: number): Limiter {
  const width = Math.max(1, Math.floor(max));
  let running = 0;
  let queue: (() => void)[] = [];
  let head = 0;
  let stopped: { error: unknown } | null = null;
  const stop = (error: unknown) => {
    stopped ??= { error };
  };
  const run = async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < width) running++;
    else await new Promise<void>((resolve) => queue.push(resolve));
    try {
      if (stopped) throw stopped.error;
      return await task();
    } catch (error) {
      stop(error);
      throw error;
    } finally {
      // Hand the slot straight to the next task in line, or free it.
      if (head < queue.length) {
        const next = queue[head++]!;
        if (head === queue.length) {
          queue = [];
          head = 0;
        }
        next();
      } else {
        running--;
      }
    }
  };
  return Object.assign(run, {
    stop,
    throwIfStopped: () => {
      if (stopped) throw stopped.error;
    },
  });
}
