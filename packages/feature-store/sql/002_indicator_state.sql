-- Engine state of technical-indicators, one JSON snapshot per (pair, timeframe), so a restart
-- continues without a gap and without a second warm-up. `feature_set` is the hash of the feature
-- configuration the state belongs to; a service running another configuration ignores it.
CREATE TABLE IF NOT EXISTS indicator_state (
  pair            text        NOT NULL,
  timeframe       text        NOT NULL,
  feature_set     text        NOT NULL,
  last_open_time  timestamptz NOT NULL,
  state           jsonb       NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pair, timeframe)
);

-- The candles technical-indicators consumed, kept so that a series without a usable snapshot
-- (first start, or a changed feature configuration) warms up from history instead of from zero.
CREATE TABLE IF NOT EXISTS candle_history (
  pair        text             NOT NULL,
  timeframe   text             NOT NULL,
  open_time   timestamptz      NOT NULL,
  candle      jsonb            NOT NULL,  -- the core Candle message, as received (latest revision)
  revision    integer          NOT NULL,
  PRIMARY KEY (pair, timeframe, open_time)
);
