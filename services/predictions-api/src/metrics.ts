import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ApiMetrics {
  /** Counts a finished request and observes its duration. */
  observe(route: string, status: number, seconds: number): void;
  streams: Gauge;
  cacheSize: Gauge;
  feedMessages: Counter;
}

/** Request metrics with their label children cached, so the hot path does no label hashing. */
export function createApiMetrics(registry: Registry): ApiMetrics {
  const requests = new Counter({
    name: 'api_requests_total',
    help: 'HTTP requests, by route and status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'api_request_duration_seconds',
    help: 'HTTP request duration, by route',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const counters = new Map<string, Counter.Internal>();
  const histograms = new Map<string, Histogram.Internal<'route'>>();
  return {
    observe(route, status, seconds) {
      const key = `${route} ${status}`;
      let counter = counters.get(key);
      if (counter === undefined) {
        counter = requests.labels({ route, status: String(status) });
        counters.set(key, counter);
      }
      counter.inc();
      let histogram = histograms.get(route);
      if (histogram === undefined) {
        histogram = duration.labels({ route });
        histograms.set(route, histogram);
      }
      histogram.observe(seconds);
    },
    streams: new Gauge({ name: 'api_stream_clients', help: 'Open server-sent event streams', registers: [registry] }),
    cacheSize: new Gauge({
      name: 'api_latest_cache_entries',
      help: 'Pair-horizon entries in the latest cache',
      registers: [registry],
    }),
    feedMessages: new Counter({
      name: 'api_feed_predictions_total',
      help: 'Predictions received from the predictions topic',
      registers: [registry],
    }),
  };
}
