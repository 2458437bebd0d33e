import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ContractSource } from '../src/adapters/contract-source.js';

const golden = readFileSync(new URL('../../../packages/core/golden/model-contract.json', import.meta.url), 'utf8');

describe('ContractSource (local server speaking MLflow’s REST API)', () => {
  let server: Server;
  let base: string;
  const paths: string[] = [];

  before(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      paths.push(`${url.pathname}${url.search}`);
      if (url.pathname === '/api/2.0/mlflow/registered-models/alias') {
        if (url.searchParams.get('name') !== 'price-BTC-USDT-1m') {
          response
            .writeHead(404, { 'content-type': 'application/json' })
            .end('{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Registered Model not found"}');
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            model_version: {
              name: 'price-BTC-USDT-1m',
              version: '7',
              source: 'mlflow-artifacts:/1/abc123/artifacts/model',
            },
          }),
        );
        return;
      }
      if (url.pathname === '/api/2.0/mlflow-artifacts/artifacts/1/abc123/artifacts/model/contract.json') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(golden);
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('follows the champion alias to the version’s contract.json', async () => {
    const found = await new ContractSource(base).fetch('price-BTC-USDT-1m', 'champion');
    assert.equal(found?.modelVersion, '7');
    assert.ok(
      found !== null && Object.keys(found.contract.reference).length > 0,
      'the contract carries training references',
    );
    assert.ok(paths.includes('/api/2.0/mlflow-artifacts/artifacts/1/abc123/artifacts/model/contract.json'));
  });

  it('answers null when there is no such model or champion', async () => {
    assert.equal(await new ContractSource(base).fetch('price-ETH-USDT-1m', 'champion'), null);
  });
});
