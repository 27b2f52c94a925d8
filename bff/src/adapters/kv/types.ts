export interface Limit {
  key: string;
  /** How many hits the window allows. */
  max: number;
  windowMs: number;
}

/** An entry to set: its key, its JSON value, how long it lives. */
export interface Entry {
  key: string;
  value: unknown;
  ttlMs: number;
}

export type LimitResult = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * Short-lived shared state: flow states, sessions, SMS codes, rate limits. Values are JSON.
 * Every operation is atomic on its own, so the same contract holds for the in-process and Redis stores.
 */
export interface Kv {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  /** Reads and deletes in one step: of two concurrent takers, exactly one gets the value. */
  take<T>(key: string): Promise<T | undefined>;
  /**
   * Takes `key` as `take` does and, when `then` names an entry for what was taken, sets that entry in
   * the same step (one commit where the store has commits): nothing is set when the take found nothing.
   */
  takeThenSet<T>(key: string, then: (value: T) => Entry | undefined): Promise<T | undefined>;
  del(key: string): Promise<void>;
  /** Sets only when the key is absent (SET NX PX): true for the one caller that set it. A lock with a lease. */
  setIfAbsent(key: string, value: unknown, ttlMs: number): Promise<boolean>;
  /** Deletes only while the key still holds this value (compare-and-delete): releases only one's own lock. */
  delIfEquals(key: string, value: unknown): Promise<boolean>;
  /** Adds one and returns the new count; a new counter lives `ttlMs`. */
  incr(key: string, ttlMs: number): Promise<number>;
  /** Counts a hit against every limit, or against none when any of them is used up. */
  hit(limits: Limit[]): Promise<LimitResult>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
