import type { Bar } from '../bar.js';
import { Indicator, type IndicatorParams } from '../indicator.js';

type SessionBar = Pick<Bar, 'openTime' | 'close' | 'volume' | 'vwap'>;

/**
 * Session VWAP: Σ(vwap × volume) / Σ volume over the bars of the current session (UTC days by
 * default; `sessionMinutes` and `offsetMinutes` move the boundary). It first outputs at the first
 * session seen from its start, so a cold start never reports a partial session. Before any volume
 * in a session it is the last close. A price level.
 */
export class SessionVwap extends Indicator<SessionBar, number> {
  readonly kind = 'session_vwap';
  readonly params: IndicatorParams;
  readonly lookback = 0;
  private readonly sessionMs: number;
  private readonly offsetMs: number;
  private readonly s = this.scalars({ session: Number.NaN, complete: 0, priceVolume: 0, volume: 0 });

  constructor(
    readonly sessionMinutes = 1440,
    readonly offsetMinutes = 0,
  ) {
    super();
    if (!Number.isInteger(sessionMinutes) || sessionMinutes < 1)
      throw new RangeError('session_vwap: sessionMinutes must be a positive integer');
    if (!Number.isInteger(offsetMinutes) || offsetMinutes < 0 || offsetMinutes >= sessionMinutes) {
      throw new RangeError('session_vwap: offsetMinutes must be an integer in [0, sessionMinutes)');
    }
    this.params = { sessionMinutes, offsetMinutes };
    this.sessionMs = sessionMinutes * 60_000;
    this.offsetMs = offsetMinutes * 60_000;
  }

  protected compute(bar: SessionBar): boolean {
    const s = this.s;
    const shifted = bar.openTime - this.offsetMs;
    const session = Math.floor(shifted / this.sessionMs);
    if (session !== s.session) {
      // A session is complete if we saw its start: the bar opens it, or an earlier session came before.
      s.complete = !Number.isNaN(s.session) || shifted - session * this.sessionMs === 0 ? 1 : 0;
      s.session = session;
      s.priceVolume = 0;
      s.volume = 0;
    }
    s.priceVolume += bar.vwap * bar.volume;
    s.volume += bar.volume;
    if (s.complete === 0) return false;
    return this.emit(s.volume > 0 ? s.priceVolume / s.volume : bar.close);
  }
}
