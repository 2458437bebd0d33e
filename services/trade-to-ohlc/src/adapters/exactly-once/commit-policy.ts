export interface CommitPolicyOptions {
  /** Commit at least this often (wall ms) while work is pending. */
  intervalMs: number;
  /** Commit once this many trades are in the open transaction. */
  maxTrades: number;
}

/**
 * When to commit the open transaction. Larger transactions amortise the commit's round trips (the
 * throughput of a backlog); but a candle is invisible to read_committed readers until its
 * transaction commits, so once the consumer has caught up with its partition a transaction
 * holding candles is committed at once (the latency of live data).
 */
export class CommitPolicy {
  private openedAt: number | null = null;
  private trades = 0;

  constructor(private readonly options: CommitPolicyOptions) {}

  /** Work (trades, or a flush with 0 trades) went into the open transaction at `now`. */
  record(trades: number, now: number): void {
    this.openedAt ??= now;
    this.trades += trades;
  }

  get pending(): boolean {
    return this.openedAt !== null;
  }

  due(now: number, context: { caughtUp: boolean; holdsCandles: boolean }): boolean {
    if (this.openedAt === null) return false;
    if (this.trades >= this.options.maxTrades) return true;
    if (now - this.openedAt >= this.options.intervalMs) return true;
    return context.caughtUp && context.holdsCandles;
  }

  /** The open transaction was committed or aborted. */
  reset(): void {
    this.openedAt = null;
    this.trades = 0;
  }
}
