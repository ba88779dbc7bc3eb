/**
 * A circuit breaker that stops calling a failing dependency for a cooldown, then probes it.
 *
 * @module
 */
import { type Clock, SYSTEM_CLOCK } from "./clock.ts";

/** The breaker's state: `closed` lets calls through, `open` rejects them, `half_open` probes. */
export type CircuitState = "closed" | "open" | "half_open";

/** Options for {@linkcode CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Failures that open the breaker (within `intervalMs`, or in a row when it is 0). @default 5 */
  maxFailures?: number;
  /** Sliding window in which failures are counted, ms; 0 counts consecutive failures. @default 0 */
  intervalMs?: number;
  /** How long the breaker stays open before it lets probes through, ms. @default 30000 */
  timeoutMs?: number;
  /**
   * Calls let through at once while half-open; this many successes close the breaker
   * (the seed's CIRCUIT_BREAKER_MAX_REQUESTS). @default 1
   */
  halfOpenMaxRequests?: number;
  /**
   * Which errors count as failures of the dependency. Errors for which it returns false (a 403 or
   * 404: the server answered) are neutral: they neither count towards opening nor as a success.
   * @default () => true
   */
  isFailure?: (error: unknown) => boolean;
  /** @default SYSTEM_CLOCK */
  clock?: Clock;
  /** Names the breaker in error messages and stats. @default "circuit" */
  name?: string;
}

/** Counters and state returned by {@linkcode CircuitBreaker.stats}. */
export interface CircuitBreakerStats {
  name: string;
  state: CircuitState;
  /** Failures counted towards opening: in the window, or in a row. */
  failures: number;
  /** Successful probes since the breaker went half-open. */
  halfOpenSuccesses: number;
  /** Calls running now that were admitted in the current state. */
  inFlight: number;
  /** Remaining time until a half-open probe is allowed, ms (0 unless open). */
  remainingCooldownMs: number;
  totalCalls: number;
  totalSuccesses: number;
  totalFailures: number;
  /** Errors that `isFailure` classified as not the dependency's fault. */
  totalIgnored: number;
  /** Calls rejected with {@linkcode CircuitOpenError} without running. */
  totalRejected: number;
}

/** Thrown by {@linkcode CircuitBreaker.execute} instead of calling the function. */
export class CircuitOpenError extends Error {
  /** Time until the breaker lets a probe through, ms; 0 when half-open and all probes are busy. */
  readonly remainingCooldownMs: number;
  /** The breaker's name. */
  readonly breaker: string;

  constructor(breaker: string, remainingCooldownMs: number, options?: ErrorOptions) {
    const detail = remainingCooldownMs > 0
      ? `circuit open, next probe in ${Math.ceil(remainingCooldownMs)}ms`
      : "circuit half-open, probe already running";
    super(`Cannot call "${breaker}": ${detail}`, options);
    this.name = "CircuitOpenError";
    this.breaker = breaker;
    this.remainingCooldownMs = remainingCooldownMs;
  }
}

/** Called on every state change. */
export type CircuitStateListener = (from: CircuitState, to: CircuitState) => void;

/**
 * Guards calls to a dependency. After `maxFailures` failures it opens and rejects calls with
 * {@linkcode CircuitOpenError} for `timeoutMs`; then it goes half-open and lets up to
 * `halfOpenMaxRequests` probes through: that many successes close it, one failure opens it again.
 *
 * No timers: the open → half-open transition is computed from the clock whenever the state is
 * read or a call is made. Results of calls admitted before a state change are ignored, so a slow
 * call from before the breaker opened cannot close it.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ name: "vault", maxFailures: 5, timeoutMs: 30000 });
 * const res = await breaker.execute(() => fetch("http://127.0.0.1:8200/v1/sys/health"));
 * ```
 * @throws {RangeError} for invalid options
 */
export class CircuitBreaker {
  readonly #maxFailures: number;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #halfOpenMaxRequests: number;
  readonly #isFailure: (error: unknown) => boolean;
  readonly #clock: Clock;
  readonly #name: string;
  readonly #listeners = new Set<CircuitStateListener>();

  #state: CircuitState = "closed";
  /** Bumped on every state change; a result counts only in the generation that admitted it. */
  #generation = 0;
  #openedAt = 0;
  #consecutiveFailures = 0;
  /** Times of failures inside the window (only when intervalMs > 0). */
  #failureTimes: number[] = [];
  #halfOpenSuccesses = 0;
  #inFlight = 0;
  #totals = { calls: 0, successes: 0, failures: 0, ignored: 0, rejected: 0 };

  constructor(options: CircuitBreakerOptions = {}) {
    const {
      maxFailures = 5,
      intervalMs = 0,
      timeoutMs = 30000,
      halfOpenMaxRequests = 1,
      isFailure = () => true,
      clock = SYSTEM_CLOCK,
      name = "circuit",
    } = options;
    requireInteger("maxFailures", maxFailures, 1);
    requireNumber("intervalMs", intervalMs);
    requireNumber("timeoutMs", timeoutMs);
    requireInteger("halfOpenMaxRequests", halfOpenMaxRequests, 1);
    this.#maxFailures = maxFailures;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
    this.#halfOpenMaxRequests = halfOpenMaxRequests;
    this.#isFailure = isFailure;
    this.#clock = clock;
    this.#name = name;
  }

  /** The breaker's name. */
  get name(): string {
    return this.#name;
  }

  /** The current state (an open breaker whose cooldown has passed reads as `half_open`). */
  get state(): CircuitState {
    this.#refresh();
    return this.#state;
  }

  /**
   * Runs `fn` if the breaker allows it and records the outcome.
   *
   * @throws {CircuitOpenError} when open, or half-open with all probes running
   */
  async execute<T>(fn: () => Promise<T> | T): Promise<T> {
    this.#refresh();
    if (this.#state === "open") {
      this.#totals.rejected++;
      throw new CircuitOpenError(this.#name, this.#remainingCooldown());
    }
    if (this.#state === "half_open" && this.#inFlight >= this.#halfOpenMaxRequests) {
      this.#totals.rejected++;
      throw new CircuitOpenError(this.#name, 0);
    }
    const generation = this.#generation;
    this.#inFlight++;
    this.#totals.calls++;
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      this.#settle(generation);
      if (this.#isFailure(error)) this.#onFailure(generation);
      else this.#totals.ignored++;
      throw error;
    }
    this.#settle(generation);
    this.#onSuccess(generation);
    return result;
  }

  /**
   * Calls `listener(from, to)` on every state change, synchronously. Listeners must not throw;
   * if one does, the error is swallowed so the breaker stays consistent.
   * Returns a function that removes the listener.
   */
  onStateChange(listener: CircuitStateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A snapshot of the state and counters. */
  stats(): CircuitBreakerStats {
    this.#refresh();
    return {
      name: this.#name,
      state: this.#state,
      failures: this.#intervalMs > 0 ? this.#failureTimes.length : this.#consecutiveFailures,
      halfOpenSuccesses: this.#halfOpenSuccesses,
      inFlight: this.#inFlight,
      remainingCooldownMs: this.#state === "open" ? this.#remainingCooldown() : 0,
      totalCalls: this.#totals.calls,
      totalSuccesses: this.#totals.successes,
      totalFailures: this.#totals.failures,
      totalIgnored: this.#totals.ignored,
      totalRejected: this.#totals.rejected,
    };
  }

  /** Closes the breaker and forgets counted failures (e.g. after a config reload). */
  reset(): void {
    this.#transition("closed");
  }

  #refresh(): void {
    if (this.#state === "open" && this.#remainingCooldown() <= 0) this.#transition("half_open");
    if (this.#intervalMs > 0) this.#pruneWindow(this.#clock.now());
  }

  #remainingCooldown(): number {
    return Math.max(0, this.#openedAt + this.#timeoutMs - this.#clock.now());
  }

  #pruneWindow(now: number): void {
    const oldest = now - this.#intervalMs;
    let drop = 0;
    while (drop < this.#failureTimes.length && this.#failureTimes[drop]! <= oldest) drop++;
    if (drop > 0) this.#failureTimes.splice(0, drop);
  }

  #settle(generation: number): void {
    if (generation === this.#generation) this.#inFlight--;
  }

  #onSuccess(generation: number): void {
    this.#totals.successes++;
    if (generation !== this.#generation) return;
    if (this.#state === "half_open") {
      this.#halfOpenSuccesses++;
      if (this.#halfOpenSuccesses >= this.#halfOpenMaxRequests) this.#transition("closed");
    } else if (this.#state === "closed") {
      // With a window, failures age out on their own; successes in between do not forgive them.
      this.#consecutiveFailures = 0;
    }
  }

  #onFailure(generation: number): void {
    this.#totals.failures++;
    if (generation !== this.#generation) return;
    if (this.#state === "half_open") {
      this.#transition("open");
      return;
    }
    if (this.#state !== "closed") return;
    const now = this.#clock.now();
    let count: number;
    if (this.#intervalMs > 0) {
      this.#pruneWindow(now);
      this.#failureTimes.push(now);
      count = this.#failureTimes.length;
    } else {
      count = ++this.#consecutiveFailures;
    }
    if (count >= this.#maxFailures) this.#transition("open");
  }

  #transition(to: CircuitState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#generation++;
    this.#inFlight = 0;
    this.#consecutiveFailures = 0;
    this.#failureTimes = [];
    this.#halfOpenSuccesses = 0;
    if (to === "open") this.#openedAt = this.#clock.now();
    for (const listener of [...this.#listeners]) {
      try {
        listener(from, to);
      } catch {
        // A broken listener (a log sink, a metric) must not change how the breaker behaves.
      }
    }
  }
}

function requireInteger(option: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`Invalid option "${option}": must be an integer >= ${min}, got ${value}`);
  }
}

function requireNumber(option: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`Invalid option "${option}": must be a finite number >= 0, got ${value}`);
  }
}
