-- News sentiment in the feature store (see packages/feature-store/README.md, "Sentiment").
--
-- sentiment-extractor's store role writes one row per (news item, coin) from the `sentiment` topic
-- into sentiment_items, the source of truth. The per-coin, per-window aggregates are a pure
-- function of those rows and of sentiment_settings (windows, half-life, lag):
--   sentiment_features_at()  computes them directly for any instant and any options (the definition);
--   sentiment_steps          holds them materialised at every instant where they change, rebuilt for
--                            the affected span whenever items change (sentiment_refresh), so a
--                            training frame reads one step per row instead of scanning the news.
--
-- Time: published_at is the item's publication (event) time; received_at is when a source of ours
-- first had it (a replay stamps it = published_at); known_at = greatest of the two. A row at time
-- t sees an item only if published_at <= t AND known_at + lag <= t; windows and decay measure the
-- item's age from its publication. So an item published at t but received later enters rows only
-- from its receipt on, and a late, old item never changes a row before its receipt.
CREATE TABLE IF NOT EXISTS sentiment_items (
  coin            text             NOT NULL,
  news_id         text             NOT NULL,
  published_at    timestamptz      NOT NULL,
  -- The earliest receipt seen: a second receipt (a restarted poller) never moves it later.
  received_at     timestamptz      NOT NULL,
  known_at        timestamptz      GENERATED ALWAYS AS (greatest(published_at, received_at)) STORED,
  score           double precision NOT NULL CHECK (score >= -1 AND score <= 1),
  label           text             NOT NULL,
  confidence      double precision NOT NULL,
  method          text             NOT NULL,
  model           text             NOT NULL,
  prompt_version  text             NOT NULL,
  scored_at       timestamptz      NOT NULL,
  PRIMARY KEY (coin, news_id)
);

-- Aggregates scan one coin's items by publication time (known_at and score ride along); the
-- refresh finds entry events by known_at.
CREATE INDEX IF NOT EXISTS sentiment_items_coin_published
  ON sentiment_items (coin, published_at) INCLUDE (known_at, score);
CREATE INDEX IF NOT EXISTS sentiment_items_coin_known ON sentiment_items (coin, known_at);

-- The store's one aggregate configuration (what sentiment_steps hold). Changed only through
-- sentiment_configure(), which rebuilds the steps.
CREATE TABLE IF NOT EXISTS sentiment_settings (
  id         boolean  PRIMARY KEY DEFAULT true CHECK (id),
  windows    text[]   NOT NULL,
  half_life  text     NOT NULL,
  lag        interval NOT NULL
);
INSERT INTO sentiment_settings (id, windows, half_life, lag) VALUES (true, '{1h,4h,24h}', '1h', '0')
  ON CONFLICT (id) DO NOTHING;

-- The aggregates of a coin from `time` on, until the coin's next step.
CREATE TABLE IF NOT EXISTS sentiment_steps (
  coin      text        NOT NULL,
  time      timestamptz NOT NULL,
  features  jsonb       NOT NULL,
  PRIMARY KEY (coin, time)
);

-- A window or half-life name: a positive number and a unit, m (minutes), h (hours) or d (days).
-- The name is kept verbatim in feature names (sentiment_4h_count), so 24h and 1d are different names.
CREATE OR REPLACE FUNCTION sentiment_span(p_name text) RETURNS interval
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  parts text[] := regexp_match(p_name, '^([1-9][0-9]{0,5})([mhd])$');
BEGIN
  IF parts IS NULL THEN
    RAISE EXCEPTION 'sentiment window or half-life % is not <number><m|h|d>, e.g. 30m, 4h, 1d', quote_literal(p_name)
      USING ERRCODE = '22023';
  END IF;
  RETURN parts[1]::integer * CASE parts[2] WHEN 'm' THEN interval '1 minute' WHEN 'h' THEN interval '1 hour' ELSE interval '1 day' END;
END $$;

-- Refuses options that are ambiguous or would let a row look ahead.
CREATE OR REPLACE FUNCTION sentiment_check_options(p_windows text[], p_half_life text, p_lag interval) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF p_windows IS NULL OR cardinality(p_windows) = 0 THEN
    RAISE EXCEPTION 'sentiment windows must name at least one window, e.g. {1h,4h,24h}' USING ERRCODE = '22023';
  END IF;
  IF (SELECT count(DISTINCT w) FROM unnest(p_windows) AS w) <> cardinality(p_windows) THEN
    RAISE EXCEPTION 'sentiment windows % repeat a window', p_windows USING ERRCODE = '22023';
  END IF;
  PERFORM sentiment_span(w) FROM unnest(p_windows) AS w;
  IF p_half_life IS NULL THEN
    RAISE EXCEPTION 'sentiment half-life is required, e.g. 1h' USING ERRCODE = '22023';
  END IF;
  PERFORM sentiment_span(p_half_life);
  IF p_lag IS NULL OR p_lag < interval '0' THEN
    RAISE EXCEPTION 'sentiment lag % must be zero or positive (a negative lag would look ahead)', p_lag
      USING ERRCODE = '22023';
  END IF;
END $$;

-- The definition of the sentiment features of one coin as of instant p_at (NULL options: the
-- store's settings). For each window w, over the items with p_at - w < published_at <= p_at and
-- known_at + lag <= p_at:
--   sentiment_<w>_count        how many
--   sentiment_<w>_mean         their mean score, 0 when there is none (count tells "no news" apart)
--   sentiment_<w>_decay_<hl>   their mean score weighted by 0.5^(age / hl), age = p_at - published_at; 0 when none
-- Every double enters numeric exactly (its shortest round-trip decimal) and sums run in numeric,
-- so a value does not depend on the order rows are read in, and one item's mean is its score bit
-- for bit. Between two instants where an item enters or leaves a window every value stays
-- constant (the decay factor cancels out of the weighted mean), which is why sentiment_steps
-- equal this function at every instant (the decayed mean up to float rounding, ~1e-15).
CREATE OR REPLACE FUNCTION sentiment_features_at(
  p_coin text,
  p_at timestamptz,
  p_windows text[] DEFAULT NULL,
  p_half_life text DEFAULT NULL,
  p_lag interval DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql STABLE
-- float8 -> text -> numeric is exact only with the shortest round-trip output, whatever the session says.
SET extra_float_digits = 1
AS $$
DECLARE
  v_windows text[];
  v_half_life text;
  v_lag interval;
  v_hl_seconds float8;
  v_result jsonb;
BEGIN
  SELECT coalesce(p_windows, s.windows), coalesce(p_half_life, s.half_life), coalesce(p_lag, s.lag)
    INTO v_windows, v_half_life, v_lag FROM sentiment_settings s;
  PERFORM sentiment_check_options(v_windows, v_half_life, v_lag);
  v_hl_seconds := extract(epoch FROM sentiment_span(v_half_life))::float8;
  SELECT coalesce(jsonb_object_agg(kv.key, kv.value), '{}'::jsonb) INTO v_result
  FROM (SELECT w.name, sentiment_span(w.name) AS span FROM unnest(v_windows) AS w(name)) w
  CROSS JOIN LATERAL (
    SELECT count(*) AS n,
           sum(x.score) AS total,
           sum(x.weight * x.score) AS weighted,
           sum(x.weight) AS weights
    FROM (
      SELECT i.score::text::numeric AS score,
             power(0.5::float8, extract(epoch FROM p_at - i.published_at)::float8 / v_hl_seconds)::text::numeric AS weight
      FROM sentiment_items i
      WHERE i.coin = p_coin AND i.published_at > p_at - w.span AND i.published_at <= p_at AND i.known_at <= p_at - v_lag
    ) x
  ) a
  CROSS JOIN LATERAL (VALUES
    ('sentiment_' || w.name || '_count', to_jsonb(a.n)),
    ('sentiment_' || w.name || '_mean', to_jsonb(coalesce((a.total / nullif(a.n, 0))::float8, 0::float8))),
    ('sentiment_' || w.name || '_decay_' || v_half_life, to_jsonb(coalesce((a.weighted / nullif(a.weights, 0))::float8, 0::float8)))
  ) AS kv(key, value);
  RETURN v_result;
END $$;

-- Rebuilds the steps of one coin in [p_from, p_to] from its items: one step at every instant in
-- the span where an item enters (known_at + lag) or leaves (published_at + window) a window.
-- Steps outside the span are untouched; the caller passes a span covering every instant whose
-- value the changed items affect (their old and new versions). Returns the steps written.
CREATE OR REPLACE FUNCTION sentiment_refresh(p_coin text, p_from timestamptz, p_to timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_settings sentiment_settings%ROWTYPE;
  v_written integer;
BEGIN
  SELECT * INTO v_settings FROM sentiment_settings FOR SHARE;
  DELETE FROM sentiment_steps WHERE coin = p_coin AND time >= p_from AND time <= p_to;
  INSERT INTO sentiment_steps (coin, time, features)
  SELECT p_coin, e.at, sentiment_features_at(p_coin, e.at, v_settings.windows, v_settings.half_life, v_settings.lag)
  FROM (
    SELECT i.known_at + v_settings.lag AS at FROM sentiment_items i
    WHERE i.coin = p_coin AND i.known_at >= p_from - v_settings.lag AND i.known_at <= p_to - v_settings.lag
    UNION
    SELECT i.published_at + w.span FROM (SELECT sentiment_span(name) AS span FROM unnest(v_settings.windows) AS name) w
    JOIN sentiment_items i ON i.coin = p_coin AND i.published_at >= p_from - w.span AND i.published_at <= p_to - w.span
  ) e;
  GET DIAGNOSTICS v_written = ROW_COUNT;
  RETURN v_written;
END $$;

-- Sets the store's aggregate configuration; when it differs from the stored one, every coin's
-- steps are rebuilt from the items. Returns whether it rebuilt.
CREATE OR REPLACE FUNCTION sentiment_configure(p_windows text[], p_half_life text, p_lag interval) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  v_current sentiment_settings%ROWTYPE;
  v_coin text;
BEGIN
  PERFORM sentiment_check_options(p_windows, p_half_life, p_lag);
  SELECT * INTO v_current FROM sentiment_settings FOR UPDATE;
  IF v_current.windows = p_windows AND v_current.half_life = p_half_life AND v_current.lag = p_lag THEN
    RETURN false;
  END IF;
  UPDATE sentiment_settings SET windows = p_windows, half_life = p_half_life, lag = p_lag;
  DELETE FROM sentiment_steps;
  FOR v_coin IN SELECT DISTINCT i.coin FROM sentiment_items i ORDER BY i.coin LOOP
    PERFORM sentiment_refresh(v_coin, '-infinity', 'infinity');
  END LOOP;
  RETURN true;
END $$;

-- The features every coin has before its first step: zero counts and neutral means.
CREATE OR REPLACE FUNCTION sentiment_no_news() RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_object_agg(kv.key, kv.value), '{}'::jsonb)
  FROM sentiment_settings s, unnest(s.windows) AS w(name)
  CROSS JOIN LATERAL (VALUES
    ('sentiment_' || w.name || '_count', to_jsonb(0)),
    ('sentiment_' || w.name || '_mean', to_jsonb(0::float8)),
    ('sentiment_' || w.name || '_decay_' || s.half_life, to_jsonb(0::float8))
  ) AS kv(key, value)
$$;

-- The materialised sentiment features of a coin as of p_at (the online read: one index probe).
CREATE OR REPLACE FUNCTION sentiment_as_of(p_coin text, p_at timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    (SELECT s.features FROM sentiment_steps s WHERE s.coin = p_coin AND s.time <= p_at ORDER BY s.time DESC LIMIT 1),
    sentiment_no_news())
$$;

-- THE point-in-time training frame with sentiment, for every reader (TypeScript, Python): the
-- feature rows of (p_pair, p_timeframe) with p_from <= time < p_to, oldest first, each with the
-- sentiment features of its coin as of the row's time (the pair's base asset, BTC for BTC/USDT,
-- unless p_coin names one). `features || sentiment` is one feature object.
CREATE OR REPLACE FUNCTION feature_frame_with_sentiment(
  p_pair text,
  p_timeframe text,
  p_from timestamptz,
  p_to timestamptz,
  p_coin text DEFAULT NULL
) RETURNS TABLE ("time" timestamptz, close double precision, features jsonb, schema_version integer, sentiment jsonb)
LANGUAGE sql STABLE AS $$
  SELECT f.time, f.close, f.features, f.schema_version, coalesce(step.features, none.features)
  FROM feature_rows f
  CROSS JOIN (SELECT sentiment_no_news() AS features) none
  LEFT JOIN LATERAL (
    SELECT s.features FROM sentiment_steps s
    WHERE s.coin = coalesce(p_coin, split_part(f.pair, '/', 1)) AND s.time <= f.time
    ORDER BY s.time DESC LIMIT 1
  ) step ON true
  WHERE f.pair = p_pair AND f.timeframe = p_timeframe AND f.time >= p_from AND f.time < p_to
  ORDER BY f.time
$$;
