/**
 * OTP's restart intensity (supervisor.erl add_restart): at most `intensity` restarts within
 * `periodMs`, per PDU. Pure; the caller passes the time.
 * @module
 */

/** Restart timestamps of one PDU within its window. */
export class RestartWindow {
  #stamps: number[] = [];

  /**
   * @param intensity restarts tolerated within the period
   * @param periodMs the window length
   */
  constructor(readonly intensity: number, readonly periodMs: number) {}

  /** Records a restart at `now`; returns false when the limit is exceeded. */
  record(now: number): boolean {
    this.#stamps = [now, ...this.#stamps.filter((t) => t > now - this.periodMs)];
    return this.#stamps.length <= this.intensity;
  }

  /** Restarts currently counted in the window. */
  get count(): number {
    return this.#stamps.length;
  }

  /** Forgets every restart (after a reload of the PDU's config). */
  reset(): void {
    this.#stamps = [];
  }
}
