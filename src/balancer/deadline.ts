/**
 * A countdown that calls `onExpire` once `ms` pass with no `touch()`. Touching only records the time, so a
 * touch per relayed frame costs no timer churn: the timer re-arms itself for what is left when it fires early.
 * A deadline of 0 ms never runs.
 */
export class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private lastTouchMs = 0;

  constructor(
    readonly ms: number,
    private readonly onExpire: () => void,
  ) {}

  /** Starts counting from now unless already counting. */
  run(): void {
    if (this.ms <= 0 || this.timer) return;
    this.lastTouchMs = performance.now();
    this.arm(this.ms);
  }

  /** Progress: the countdown starts over from now. */
  touch(): void {
    this.lastTouchMs = performance.now();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const leftMs = this.lastTouchMs + this.ms - performance.now();
      if (leftMs > 0) this.arm(leftMs);
      else this.onExpire();
    }, ms);
  }
}
