import { Counter, Gauge, type Registry } from 'prom-client';
import type { MarketHistory } from '../domain/market-history.js';

export interface DashboardMetrics {
  messages: Counter<'topic' | 'outcome'>;
  requests: Counter<'route' | 'status'>;
}

export function createDashboardMetrics(registry: Registry, history: MarketHistory): DashboardMetrics {
  const messages = new Counter({
    name: 'dashboard_messages_total',
    help: 'Messages read, by topic and outcome (accepted, kept: not newer than the one held, too-old, ignored: pair/timeframe/horizon not shown)',
    labelNames: ['topic', 'outcome'],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'dashboard_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  new Gauge({
    name: 'dashboard_pairs',
    help: 'Pairs held in memory',
    registers: [registry],
    collect() {
      this.set(history.pairNames().length);
    },
  });
  new Gauge({
    name: 'dashboard_candles_held',
    help: 'Candles held in memory, by pair',
    labelNames: ['pair'],
    registers: [registry],
    collect() {
      for (const pair of history.pairNames()) this.set({ pair }, history.pair(pair)?.candles.size ?? 0);
    },
  });
  return { messages, requests };
}
