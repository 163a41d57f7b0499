/**
 * How many requests one transport may have in flight, adapted to the server's pushback (AIMD, as TCP
 * does): halved after a 429 (half of what was in flight), grown by one after a full window of successes, between 1 and `max`.
 * Without it, thousands of queued changes keep hitting a rate-limited API at full width, every
 * worker exhausts its retries at the same moment, and an apply fails piecemeal.
 */
export interface Permit {
  /** The decrease count when the permit was taken: 429s from one burst halve the limit once, not once each. */
  readonly epoch: number;
}

export type Outcome = 'success' | 'throttled' | 'neutral';

export class AdaptiveConcurrency {
  private allowed: number;
  private running = 0;
  private successes = 0;
  private epoch = 0;
  // A queue as an array and a head index: `shift()` is linear, and thousands of requests may wait here.
  private waiting: (() => void)[] = [];
  private head = 0;

  constructor(
    private readonly max: number,
    initial = max,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max concurrency must be a positive integer, not ${max}`);
    this.allowed = Math.min(max, Math.max(1, Math.floor(initial)));
  }

  /** The requests currently allowed in flight. */
  get limit(): number {
    return this.allowed;
  }

  get inFlight(): number {
    return this.running;
  }

  /** Resolves when a slot is free; first come, first served. */
  async acquire(): Promise<Permit> {
    if (this.running < this.allowed && this.head === this.waiting.length) {
      this.running++;
      return { epoch: this.epoch };
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    // `release` counted us in before waking us.
    return { epoch: this.epoch };
  }

  release(permit: Permit, outcome: Outcome): void {
    const flight = this.running;
    this.running--;
    if (outcome === 'throttled' && permit.epoch === this.epoch) {
      // Half of what was really in flight: a caller running 8 workers under a limit of 32 drops to 4, not 16.
      this.allowed = Math.max(1, Math.floor(Math.min(this.allowed, flight) / 2));
      this.epoch++;
      this.successes = 0;
    } else if (outcome === 'success' && this.allowed < this.max && ++this.successes >= this.allowed) {
      this.allowed++;
      this.successes = 0;
    }
    while (this.running < this.allowed && this.head < this.waiting.length) {
      this.running++;
      const wake = this.waiting[this.head++]!;
      if (this.head === this.waiting.length || (this.head > 1024 && this.head * 2 > this.waiting.length)) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
      wake();
    }
  }
}
