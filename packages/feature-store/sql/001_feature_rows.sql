-- Feature store, offline and online halves. Applied by @crypto-predict/feature-store's migrate().
-- A row's `time` is its feature time: the close time of the candle it was computed from, i.e. the
-- instant its values became known. Training frames select on it, so nothing from the future leaks.
CREATE TABLE IF NOT EXISTS feature_rows (
  pair            text             NOT NULL,
  timeframe       text             NOT NULL,
  time            timestamptz      NOT NULL,
  close           double precision NOT NULL,
  features        jsonb            NOT NULL,  -- name -> number, or null while an indicator warms up
  schema_version  integer          NOT NULL,
  PRIMARY KEY (pair, timeframe, time)
);

CREATE TABLE IF NOT EXISTS feature_latest (
  pair            text             NOT NULL,
  timeframe       text             NOT NULL,
  time            timestamptz      NOT NULL,
  close           double precision NOT NULL,
  features        jsonb            NOT NULL,
  schema_version  integer          NOT NULL,
  PRIMARY KEY (pair, timeframe)
);
