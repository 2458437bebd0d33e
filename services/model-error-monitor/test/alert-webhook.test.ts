import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger, type Alert } from '@crypto-predict/core';
import { AlertWebhook } from '../src/adapters/alert-webhook.js';

const alert = (id: string): Alert => ({
  v: 1,
  id,
  kind: 'error-drift',
  severity: 'warning',
  pair: 'BTC/USDT',
  message: 'error rose',
  details: {},
  time: 1_735_689_600_000,
});

describe('AlertWebhook (local HTTP receiver)', () => {
  let server: Server;
  let url: string;
  const received: unknown[] = [];
  let failuresLeft = 0;
  let hang = false;

  before(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        if (hang) return; // never answers
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          response.writeHead(503).end();
          return;
        }
        received.push(JSON.parse(body));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs each alert as JSON, retrying a failing receiver', async () => {
    const outcomes: string[] = [];
    failuresLeft = 2;
    const webhook = new AlertWebhook({
      url,
      timeoutMs: 1_000,
      retries: 3,
      retryBaseMs: 10,
      log: createLogger('test', 'silent'),
      onOutcome: (o) => outcomes.push(o),
    });
    webhook.notify([alert('a'), alert('b')]);
    await webhook.stop(5_000);
    assert.deepEqual(
      received.map((a) => (a as Alert).id),
      ['a', 'b'],
      'both alerts arrive, in order, after the retries',
    );
    assert.deepEqual(outcomes, ['delivered', 'delivered']);
  });

  it('never blocks the caller and gives up on a receiver that does not answer', async () => {
    hang = true;
    const outcomes: string[] = [];
    const webhook = new AlertWebhook({
      url,
      timeoutMs: 100,
      retries: 1,
      retryBaseMs: 10,
      log: createLogger('test', 'silent'),
      onOutcome: (o) => outcomes.push(o),
    });
    const started = Date.now();
    webhook.notify([alert('c')]);
    assert.ok(Date.now() - started < 50, 'notify returns at once');
    await webhook.stop(2_000);
    assert.deepEqual(outcomes, ['failed'], 'two timed-out attempts, then it gives up');
    hang = false;
  });
});
