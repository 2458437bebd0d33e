// The dashboard page: polls /api/snapshot for the chosen pair and draws it with lightweight-charts.
// Plain browser JavaScript, no build step. Everything it drew is kept on `window.dashboard`, so a
// test (or a curious person in the console) can compare the charts' data with what was sent.
(function () {
  'use strict';

  const LWC = window.LightweightCharts;
  const colors = {
    predicted: '#1f5fbf',
    band: 'rgba(31, 95, 191, 0.14)',
    bandEdge: 'rgba(31, 95, 191, 0.55)',
    up: '#137a4b',
    down: '#c0392b',
    model: '#1f5fbf',
    naive: '#a34d00',
    nominal: '#6b7480',
    neutral: '#8a939e',
    grid: '#eef1f4',
    text: '#1b1f24',
  };
  const horizonColors = ['#1f5fbf', '#a34d00', '#137a4b', '#7b3fa0', '#b0201a', '#00788a'];

  const state = {
    config: null,
    pair: null,
    windowMs: null,
    etag: null,
    snapshot: null,
    timer: null,
    fitted: false,
    renders: 0,
    charts: { price: {}, errors: {}, coverage: null, sentiment: null },
  };
  window.dashboard = state;

  const $ = (id) => document.getElementById(id);
  const statusLine = $('status');

  // ---------------------------------------------------------------------------------------------
  // Formatting: every time is UTC, every price carries its unit.
  // ---------------------------------------------------------------------------------------------
  const pad = (n) => String(n).padStart(2, '0');
  function utc(ms, withDate = true) {
    const d = new Date(ms);
    const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
    if (!withDate) return `${time} UTC`;
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${time} UTC`;
  }
  const priceFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const price = (value) => (value === null || value === undefined ? '–' : priceFormat.format(value));
  const withUnit = (value) => (value === null || value === undefined ? '–' : `${price(value)} ${quote()}`);
  const percent = (share) => (share === null || share === undefined ? '–' : `${(share * 100).toFixed(1)} %`);
  const ratio = (value) => (value === null || value === undefined ? '–' : value.toFixed(3));
  const signed = (value) => (value > 0 ? '+' : value < 0 ? '−' : '') + Math.abs(value).toFixed(2);
  const quote = () => (state.snapshot ? state.snapshot.quote : '');
  const seconds = (ms) => Math.floor(ms / 1000);
  function durationText(ms) {
    for (const [unit, size] of [
      ['d', 86400000],
      ['h', 3600000],
      ['m', 60000],
    ]) {
      if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
    }
    return `${Math.round(ms / 1000)}s`;
  }
  function horizonText(minutes) {
    return minutes % 60 === 0 ? `${minutes / 60}-hour` : `${minutes}-minute`;
  }

  function setStatus(text, isError = false) {
    statusLine.textContent = text;
    statusLine.classList.toggle('error', isError);
  }

  // ---------------------------------------------------------------------------------------------
  // Charts
  // ---------------------------------------------------------------------------------------------
  function baseChart(container, priceFormatter) {
    return LWC.createChart(container, {
      autoSize: true,
      layout: { background: { color: '#ffffff' }, textColor: colors.text, fontSize: 12, attributionLogo: false },
      grid: { vertLines: { color: colors.grid }, horzLines: { color: colors.grid } },
      timeScale: { timeVisible: true, secondsVisible: false, borderColor: '#d5dae0' },
      rightPriceScale: { borderColor: '#d5dae0' },
      localization: { timeFormatter: (time) => utc(time * 1000), priceFormatter },
      handleScroll: true,
      handleScale: true,
    });
  }

  /**
   * Fills the interval between lower and upper prices behind the series it is attached to:
   * lightweight-charts has no band series, so a series primitive draws one polygon per run of
   * consecutive bars (a gap in the predictions stays a gap).
   */
  class IntervalBand {
    constructor(fill, barMs) {
      this.fill = fill;
      this.barMs = barMs;
      this.points = [];
      this.chart = null;
      this.series = null;
      this.requestUpdate = null;
      const band = this;
      this.view = {
        zOrder: () => 'bottom',
        renderer: () => ({ draw: (target) => band.draw(target) }),
      };
      this.views = [this.view];
    }
    attached(param) {
      this.chart = param.chart;
      this.series = param.series;
      this.requestUpdate = param.requestUpdate;
    }
    detached() {
      this.chart = null;
      this.series = null;
    }
    setPoints(points) {
      this.points = points;
      if (this.requestUpdate) this.requestUpdate();
    }
    paneViews() {
      return this.views;
    }
    draw(target) {
      if (!this.chart || !this.series || this.points.length === 0) return;
      const timeScale = this.chart.timeScale();
      const series = this.series;
      const runs = [];
      let run = [];
      let previous = null;
      for (const point of this.points) {
        const x = timeScale.timeToCoordinate(seconds(point.time));
        const top = series.priceToCoordinate(point.upper);
        const bottom = series.priceToCoordinate(point.lower);
        const contiguous = previous !== null && point.time - previous <= this.barMs * 1.5;
        if (!contiguous && run.length > 0) {
          runs.push(run);
          run = [];
        }
        if (x !== null && top !== null && bottom !== null) run.push([x, top, bottom]);
        previous = point.time;
      }
      if (run.length > 0) runs.push(run);
      target.useBitmapCoordinateSpace((scope) => {
        const ctx = scope.context;
        const h = scope.horizontalPixelRatio;
        const v = scope.verticalPixelRatio;
        ctx.fillStyle = this.fill;
        for (const part of runs) {
          ctx.beginPath();
          if (part.length === 1) {
            const [x, top, bottom] = part[0];
            ctx.rect((x - 2) * h, top * v, 4 * h, (bottom - top) * v);
          } else {
            part.forEach(([x, top], index) => (index === 0 ? ctx.moveTo(x * h, top * v) : ctx.lineTo(x * h, top * v)));
            for (let index = part.length - 1; index >= 0; index -= 1)
              ctx.lineTo(part[index][0] * h, part[index][2] * v);
            ctx.closePath();
          }
          ctx.fill();
        }
      });
    }
  }

  function panel(parent, id, title) {
    const figure = document.createElement('figure');
    figure.className = 'panel';
    figure.id = id;
    const caption = document.createElement('figcaption');
    caption.textContent = title;
    const chart = document.createElement('div');
    chart.className = 'chart';
    chart.setAttribute('role', 'img');
    chart.setAttribute('aria-label', title);
    figure.append(caption, chart);
    parent.append(figure);
    return { figure, chart };
  }

  function buildPricePanel(horizon, barMs) {
    const { figure, chart: container } = panel(
      $('price-panels'),
      `price-${horizon}`,
      `${horizonText(horizon)} horizon: candles, predicted price and interval`,
    );
    const chart = baseChart(container, (p) => price(p));
    const candles = chart.addSeries(LWC.CandlestickSeries, {
      upColor: colors.up,
      downColor: colors.down,
      wickUpColor: colors.up,
      wickDownColor: colors.down,
      borderVisible: false,
      title: 'close',
    });
    const edge = {
      color: colors.bandEdge,
      lineWidth: 1,
      lineStyle: LWC.LineStyle.Dashed,
      priceLineVisible: false,
      lastValueVisible: false,
      crosshairMarkerVisible: false,
    };
    const upper = chart.addSeries(LWC.LineSeries, { ...edge, title: '' });
    const lower = chart.addSeries(LWC.LineSeries, { ...edge, title: '' });
    const predicted = chart.addSeries(LWC.LineSeries, {
      color: colors.predicted,
      lineWidth: 2,
      priceLineVisible: false,
      title: 'predicted',
    });
    const band = new IntervalBand(colors.band, barMs);
    predicted.attachPrimitive(band);
    const latest = document.createElement('dl');
    latest.className = 'latest';
    figure.append(latest);
    return { chart, container, candles, predicted, upper, lower, band, latest, points: [] };
  }

  function buildErrorPanel(horizon) {
    const { chart: container } = panel(
      $('error-panels'),
      `errors-${horizon}`,
      `${horizonText(horizon)} horizon: MAE and RMSE, model against naive`,
    );
    container.classList.add('short');
    const chart = baseChart(container, (p) => price(p));
    const line = (color, style, title) =>
      chart.addSeries(LWC.LineSeries, {
        color,
        lineWidth: 2,
        lineStyle: style,
        priceLineVisible: false,
        lastValueVisible: true,
        title,
      });
    return {
      chart,
      container,
      mae: line(colors.model, LWC.LineStyle.Solid, 'MAE'),
      naiveMae: line(colors.naive, LWC.LineStyle.Solid, 'naive MAE'),
      rmse: line(colors.model, LWC.LineStyle.Dashed, 'RMSE'),
      naiveRmse: line(colors.naive, LWC.LineStyle.Dashed, 'naive RMSE'),
    };
  }

  function buildCoverageChart(horizons) {
    const container = $('coverage-chart');
    const chart = baseChart(container, (p) => `${p.toFixed(0)} %`);
    const lines = {};
    const legend = $('coverage-legend');
    legend.replaceChildren();
    horizons.forEach((horizon, index) => {
      const color = horizonColors[index % horizonColors.length];
      lines[horizon] = chart.addSeries(LWC.LineSeries, {
        color,
        lineWidth: 2,
        priceLineVisible: false,
        title: `${horizon}m`,
      });
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.borderTopColor = color;
      item.append(swatch, `${horizonText(horizon)} horizon`);
      legend.append(item);
    });
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch dashed';
    swatch.style.borderTopColor = colors.nominal;
    item.append(swatch, 'nominal coverage');
    legend.append(item);
    return { chart, container, lines, nominalLine: null, nominalSeries: lines[horizons[0]] };
  }

  function buildSentimentChart() {
    const container = $('sentiment-chart');
    const chart = baseChart(container, (p) => signed(p));
    // A few hours of news make only a few bars; keep them bars rather than slabs.
    chart.timeScale().applyOptions({ maxBarSpacing: 60 });
    const histogram = chart.addSeries(LWC.HistogramSeries, {
      priceLineVisible: false,
      title: 'mean score',
      priceFormat: { type: 'custom', formatter: (p) => signed(p), minMove: 0.01 },
      autoscaleInfoProvider: () => ({ priceRange: { minValue: -1, maxValue: 1 } }),
    });
    return { chart, container, histogram };
  }

  function buildCharts(config) {
    const barMs = timeframeMs(config.timeframe);
    for (const horizon of config.horizons) {
      state.charts.price[horizon] = buildPricePanel(horizon, barMs);
      state.charts.errors[horizon] = buildErrorPanel(horizon);
    }
    state.charts.coverage = buildCoverageChart(config.horizons);
    state.charts.sentiment = buildSentimentChart();
  }

  function timeframeMs(timeframe) {
    const unit = { m: 60000, h: 3600000, d: 86400000 }[timeframe.slice(-1)];
    return Number(timeframe.slice(0, -1)) * unit;
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering a snapshot
  // ---------------------------------------------------------------------------------------------
  function render(snapshot) {
    state.snapshot = snapshot;
    for (const el of document.querySelectorAll('.quote')) el.textContent = snapshot.quote;
    for (const el of document.querySelectorAll('.timeframe')) el.textContent = snapshot.timeframe;
    for (const el of document.querySelectorAll('.window-text')) el.textContent = durationText(snapshot.windowMs);
    for (const el of document.querySelectorAll('.coin')) el.textContent = `(${snapshot.coin})`;
    $('pair-title').textContent = snapshot.pair;
    document.title = `${snapshot.pair} · crypto-predict dashboard`;

    const bars = snapshot.candles.map((c) => ({
      time: seconds(c.time),
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
    }));
    const lastCandle = snapshot.candles[snapshot.candles.length - 1];
    for (const view of snapshot.horizons) {
      const charts = state.charts.price[view.horizon];
      if (!charts) continue;
      charts.candles.setData(bars);
      charts.predicted.setData(view.predictions.map((p) => ({ time: seconds(p.time), value: p.predicted })));
      charts.upper.setData(view.predictions.map((p) => ({ time: seconds(p.time), value: p.upper })));
      charts.lower.setData(view.predictions.map((p) => ({ time: seconds(p.time), value: p.lower })));
      charts.band.setPoints(view.predictions);
      charts.points = view.predictions;
      renderLatest(charts.latest, view, lastCandle);
      charts.container.setAttribute('aria-label', priceSummary(snapshot, view, lastCandle));

      const errors = state.charts.errors[view.horizon];
      const points = (key) =>
        view.metrics.filter((m) => m[key] !== null).map((m) => ({ time: seconds(m.time), value: m[key] }));
      errors.mae.setData(points('mae'));
      errors.naiveMae.setData(points('naiveMae'));
      errors.rmse.setData(points('rmse'));
      errors.naiveRmse.setData(points('naiveRmse'));
      errors.container.setAttribute('aria-label', errorSummary(snapshot, view));

      state.charts.coverage.lines[view.horizon].setData(
        view.metrics
          .filter((m) => m.coverage !== null)
          .map((m) => ({ time: seconds(m.time), value: m.coverage * 100 })),
      );
    }
    renderNominal(snapshot);
    renderErrorTable(snapshot);
    renderAlerts(snapshot);
    renderSentiment(snapshot);

    if (!state.fitted) {
      // Series over time start spread over their chart; later updates keep what the reader zoomed to.
      for (const charts of Object.values(state.charts.errors)) charts.chart.timeScale().fitContent();
      state.charts.coverage.chart.timeScale().fitContent();
      state.charts.sentiment.chart.timeScale().fitContent();
      state.fitted = true;
    }
    state.renders += 1;
    document.body.dataset.state = 'ready';
    const span =
      snapshot.dataTo === null
        ? 'no data yet'
        : `data ${snapshot.dataFrom === null ? '' : `from ${utc(snapshot.dataFrom)} `}to ${utc(snapshot.dataTo)}`;
    setStatus(`${snapshot.pair}: ${span}; page updated ${utc(Date.now(), false)}`);
  }

  function renderLatest(list, view, lastCandle) {
    const rows = [];
    if (lastCandle) rows.push(['Last close', `${withUnit(lastCandle.close)} (${utc(lastCandle.time + barMs())})`]);
    if (view.latest) {
      const l = view.latest;
      rows.push(['Predicted', `${withUnit(l.predicted)} for ${utc(l.targetTime)}`]);
      rows.push([`${Math.round(l.coverage * 100)} % interval`, `${price(l.lower)} – ${price(l.upper)} ${quote()}`]);
      rows.push(['Served by', `${l.model} (${l.servedBy})`]);
    } else {
      rows.push(['Predicted', 'no prediction yet']);
    }
    list.replaceChildren(
      ...rows.flatMap(([term, value]) => {
        const dt = document.createElement('dt');
        dt.textContent = term;
        const dd = document.createElement('dd');
        dd.textContent = value;
        return [dt, dd];
      }),
    );
  }

  function barMs() {
    return timeframeMs(state.snapshot ? state.snapshot.timeframe : '1m');
  }

  function priceSummary(snapshot, view, lastCandle) {
    const parts = [`${snapshot.pair}, ${horizonText(view.horizon)} horizon: ${snapshot.candles.length} candles`];
    if (lastCandle) parts.push(`last close ${withUnit(lastCandle.close)} at ${utc(lastCandle.time + barMs())}`);
    if (view.latest) {
      const l = view.latest;
      parts.push(
        `latest prediction ${withUnit(l.predicted)} for ${utc(l.targetTime)}, interval ${price(l.lower)} to ${price(l.upper)}`,
      );
    }
    return parts.join('; ');
  }

  function errorSummary(snapshot, view) {
    const c = view.current;
    if (!c || c.mae === null) return `${horizonText(view.horizon)} horizon: no scored predictions yet`;
    return `${horizonText(view.horizon)} horizon, trailing ${durationText(snapshot.windowMs)}: MAE ${withUnit(c.mae)} against naive ${withUnit(c.naiveMae)}, RMSE ${withUnit(c.rmse)} against naive ${withUnit(c.naiveRmse)}`;
  }

  function renderNominal(snapshot) {
    const coverage = state.charts.coverage;
    const nominal = snapshot.horizons.map((v) => v.nominalCoverage).find((v) => v !== null);
    if (coverage.nominalLine) coverage.nominalSeries.removePriceLine(coverage.nominalLine);
    coverage.nominalLine = null;
    if (nominal !== undefined) {
      coverage.nominalLine = coverage.nominalSeries.createPriceLine({
        price: nominal * 100,
        color: colors.nominal,
        lineWidth: 2,
        lineStyle: LWC.LineStyle.Dashed,
        axisLabelVisible: true,
        title: 'nominal',
      });
    }
    const parts = snapshot.horizons.map(
      (v) =>
        `${v.horizon}-minute ${percent(v.current ? v.current.coverage : null)} (nominal ${percent(v.nominalCoverage)})`,
    );
    coverage.container.setAttribute('aria-label', `Interval coverage over the trailing window: ${parts.join(', ')}`);
  }

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    row.append(td);
    return td;
  }

  function renderErrorTable(snapshot) {
    const body = $('error-table').tBodies[0];
    body.replaceChildren(
      ...snapshot.horizons.map((view) => {
        const row = document.createElement('tr');
        row.dataset.horizon = String(view.horizon);
        const th = document.createElement('th');
        th.scope = 'row';
        th.textContent = `${view.horizon} min`;
        row.append(th);
        const c = view.current;
        cell(row, c ? String(c.count) : '0', 'number');
        cell(row, withUnit(c && c.mae), 'number');
        cell(row, withUnit(c && c.naiveMae), 'number');
        cell(row, ratio(c && c.maeRatio), 'number');
        cell(row, withUnit(c && c.rmse), 'number');
        cell(row, withUnit(c && c.naiveRmse), 'number');
        cell(row, percent(c && c.coverage), 'number');
        cell(row, percent(view.nominalCoverage), 'number');
        cell(row, c ? String(c.missing) : '0', 'number');
        cell(row, view.models.length > 0 ? view.models.join(', ') : '–');
        return row;
      }),
    );
  }

  function renderAlerts(snapshot) {
    const table = $('alerts-table');
    table.hidden = snapshot.alerts.length === 0;
    $('alerts-empty').hidden = snapshot.alerts.length > 0;
    table.tBodies[0].replaceChildren(
      ...snapshot.alerts.map((alert) => {
        const row = document.createElement('tr');
        row.dataset.alertId = alert.id;
        cell(row, utc(alert.time));
        cell(row, alert.severity, `severity-${alert.severity}`);
        cell(row, alert.kind);
        cell(row, alert.horizon === null ? '–' : `${alert.horizon} min`);
        cell(row, alert.pair === null ? `${alert.message} (all pairs)` : alert.message);
        return row;
      }),
    );
  }

  function renderSentiment(snapshot) {
    const s = snapshot.sentiment;
    const chart = state.charts.sentiment;
    // Hours without news stay empty slots, so the bars keep their place in time over the pair's span.
    const bars = [];
    const byTime = new Map(s.buckets.map((b) => [b.time, b]));
    const floor = (ms) => Math.floor(ms / s.bucketMs) * s.bucketMs;
    const times = s.buckets.map((b) => b.time);
    if (snapshot.dataFrom !== null) times.push(floor(snapshot.dataFrom));
    if (snapshot.dataTo !== null) times.push(floor(snapshot.dataTo));
    if (times.length > 0) {
      const last = Math.max(...times);
      for (let time = Math.min(...times); time <= last; time += s.bucketMs) {
        const b = byTime.get(time);
        if (!b) bars.push({ time: seconds(time) });
        else {
          const color = b.meanScore > 0.05 ? colors.up : b.meanScore < -0.05 ? colors.down : colors.neutral;
          bars.push({ time: seconds(time), value: b.meanScore, color });
        }
      }
    }
    chart.histogram.setData(bars);
    $('sentiment-summary').textContent =
      s.count === 0
        ? `No scored news about ${s.coin} in the retained history.`
        : `${s.count} scored news items about ${s.coin}, mean score ${signed(s.meanScore)} (from −1 bearish to +1 bullish); bars are the mean score per ${durationText(s.bucketMs)}.`;
    chart.container.setAttribute(
      'aria-label',
      s.buckets.length === 0
        ? `No sentiment for ${s.coin}`
        : `Mean sentiment score of ${s.coin} per ${durationText(s.bucketMs)}, ${s.buckets.length} buckets; newest ${signed(s.buckets[s.buckets.length - 1].meanScore)}`,
    );
    const table = $('sentiment-table');
    table.hidden = s.latest.length === 0;
    table.tBodies[0].replaceChildren(
      ...s.latest.map((item) => {
        const row = document.createElement('tr');
        row.dataset.newsId = item.newsId;
        cell(row, utc(item.publishedAt));
        cell(row, item.label, `label-${item.label}`);
        cell(row, signed(item.score), 'number');
        cell(row, percent(item.confidence), 'number');
        cell(row, item.method);
        cell(row, item.reason || '–');
        return row;
      }),
    );
  }

  function clearCharts() {
    for (const charts of Object.values(state.charts.price)) {
      for (const series of [charts.candles, charts.predicted, charts.upper, charts.lower]) series.setData([]);
      charts.band.setPoints([]);
      charts.latest.replaceChildren();
    }
    for (const charts of Object.values(state.charts.errors)) {
      for (const series of [charts.mae, charts.naiveMae, charts.rmse, charts.naiveRmse]) series.setData([]);
    }
    for (const series of Object.values(state.charts.coverage.lines)) series.setData([]);
    state.charts.sentiment.histogram.setData([]);
  }

  // ---------------------------------------------------------------------------------------------
  // Polling
  // ---------------------------------------------------------------------------------------------
  async function poll() {
    clearTimeout(state.timer);
    const pair = state.pair;
    const params = new URLSearchParams({ pair, window: durationText(state.windowMs) });
    try {
      const headers = state.etag ? { 'if-none-match': state.etag } : {};
      const response = await fetch(`/api/snapshot?${params}`, { headers, cache: 'no-store' });
      if (pair !== state.pair) return; // the pair changed while this request ran
      if (response.status === 304) {
        if (state.snapshot)
          setStatus(statusLine.textContent.replace(/page updated .*$/, `page updated ${utc(Date.now(), false)}`));
      } else if (response.ok) {
        state.etag = response.headers.get('etag');
        render(await response.json());
      } else {
        const problem = await response.json().catch(() => ({ message: response.statusText }));
        state.etag = null;
        setStatus(`${pair}: ${problem.message}`, response.status !== 404);
        if (response.status === 404) document.body.dataset.state = 'waiting';
      }
    } catch (error) {
      setStatus(`Cannot reach the dashboard server (${error.message}); retrying.`, true);
    }
    state.timer = setTimeout(poll, state.config.pollMs);
  }

  function restart() {
    state.etag = null;
    state.snapshot = null;
    state.fitted = false;
    clearCharts();
    const url = new URL(window.location.href);
    url.searchParams.set('pair', state.pair);
    url.searchParams.set('window', durationText(state.windowMs));
    window.history.replaceState(null, '', url);
    void poll();
  }

  function option(select, value, text, selected) {
    const item = document.createElement('option');
    item.value = value;
    item.textContent = text;
    item.selected = selected;
    select.append(item);
  }

  async function fillPairs() {
    const response = await fetch('/api/pairs', { cache: 'no-store' });
    const { pairs } = await response.json();
    const names = pairs.map((p) => p.pair);
    if (state.pair && !names.includes(state.pair)) names.unshift(state.pair);
    const select = $('pair');
    select.replaceChildren();
    for (const name of names) option(select, name, name, name === state.pair);
  }

  async function main() {
    if (!LWC) {
      setStatus('The charting library did not load (/assets/lightweight-charts.js).', true);
      return;
    }
    const config = await (await fetch('/api/config', { cache: 'no-store' })).json();
    state.config = config;
    const params = new URLSearchParams(window.location.search);
    state.pair = (params.get('pair') || config.defaultPair || '').toUpperCase().replace('-', '/');
    const asked = params.get('window');
    const choice = config.windowChoices.find((ms) => durationText(ms) === asked);
    state.windowMs = choice !== undefined ? choice : config.windowMs;

    const windowSelect = $('window');
    for (const ms of config.windowChoices) option(windowSelect, String(ms), durationText(ms), ms === state.windowMs);
    windowSelect.addEventListener('change', () => {
      state.windowMs = Number(windowSelect.value);
      restart();
    });
    $('pair').addEventListener('change', (event) => {
      state.pair = event.target.value;
      restart();
    });
    $('controls').addEventListener('submit', (event) => event.preventDefault());

    buildCharts(config);
    if (!state.pair) {
      setStatus('No pair has data yet; waiting for the first messages.');
      setTimeout(() => window.location.reload(), config.pollMs);
      return;
    }
    await fillPairs().catch(() => undefined);
    setInterval(() => void fillPairs().catch(() => undefined), 60000);
    void poll();
  }

  main().catch((error) => setStatus(`The dashboard failed to start: ${error.message}`, true));
})();
