import * as FakeTimers from '@sinonjs/fake-timers';

/**
 * One virtual clock for everything in a simulation: Date, setTimeout and setInterval are replaced
 * globally (the handlers' Date.now(), the workflow's Wait states and retry intervals, the
 * simulator's own schedules), so a 40-minute rollout runs in seconds. setImmediate, nextTick and
 * queueMicrotask stay real: they let promise chains settle between timers.
 *
 * Only one clock can be installed at a time.
 */
export class VirtualClock {
  private static installed: VirtualClock | undefined;
  private readonly clock: FakeTimers.Clock;

  constructor(startMs: number) {
    if (VirtualClock.installed) {
      throw new Error('A virtual clock is already installed: dispose() the previous simulation first');
    }
    this.clock = FakeTimers.install({
      now: startMs,
      toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
      shouldClearNativeTimers: true,
      loopLimit: 1_000_000,
    });
    VirtualClock.installed = this;
  }

  /** Virtual epoch milliseconds. */
  public now(): number {
    return this.clock.now;
  }

  /** Advances virtual time, firing every timer due on the way and letting promises settle between them. */
  public async advance(ms: number): Promise<void> {
    await this.clock.tickAsync(ms);
  }

  /** Lets pending promise chains settle without moving time. */
  public async settle(): Promise<void> {
    await this.clock.tickAsync(0);
  }

  /**
   * Moves time from timer to timer until `promise` settles (at most `limitMs` of virtual time), so
   * code awaited outside the simulation loop still sees its virtual sleeps end.
   */
  public async drive<T>(promise: Promise<T>, limitMs = 60 * 60_000): Promise<T> {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    const deadline = this.now() + limitMs;
    await this.clock.tickAsync(0);
    while (!settled) {
      if (this.now() >= deadline) throw new Error(`Still waiting after ${limitMs / 1000} s of virtual time`);
      await this.clock.nextAsync();
    }
    return promise;
  }

  /** A promise resolved after `ms` of virtual time. */
  public sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  public uninstall(): void {
    if (VirtualClock.installed !== this) return;
    this.clock.uninstall();
    // Jest keeps every value a global has held until the test file ends, the fake setTimeout among
    // them, and through its clock the pending timers' closures: the whole world. Drop the timers
    // (time itself stays readable).
    const now = this.clock.now;
    this.clock.reset();
    this.clock.now = now;
    VirtualClock.installed = undefined;
  }
}
