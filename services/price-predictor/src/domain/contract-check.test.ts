import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { featureRow, fixtureContract } from '../test-support/fixtures.js';
import { contractProblems, featureVector, rowMismatch } from './contract-check.js';

const expected = { pair: 'BTC/USDT', timeframe: '1m', featureSchemaVersion: 1, knownFeatures: null };

describe('contractProblems', () => {
  it('accepts a contract for the served pair, timeframe and feature schema', () => {
    assert.deepEqual(contractProblems(fixtureContract(), expected), []);
  });

  it('refuses a model for another pair, timeframe or feature schema version, naming each', () => {
    const problems = contractProblems(
      fixtureContract({ pair: 'ETH/USDT', timeframe: '5m', featureSchemaVersion: 2 }),
      expected,
    );
    assert.equal(problems.length, 3, `three problems must be named: ${problems.join(' | ')}`);
    assert.match(problems.join('\n'), /ETH\/USDT/);
    assert.match(problems.join('\n'), /5m/);
    assert.match(problems.join('\n'), /version 2/);
  });

  it('refuses a contract whose features the rows do not carry', () => {
    const problems = contractProblems(fixtureContract({ features: ['log_return_1', 'funding_rate'] }), {
      ...expected,
      knownFeatures: new Set(['log_return_1', 'rsi_14', 'volatility_30']),
    });
    assert.deepEqual(problems, ['feature rows lack feature(s) the model needs: funding_rate']);
  });

  it('refuses a contract whose volatility feature the rows do not carry', () => {
    const contract = fixtureContract();
    const problems = contractProblems(
      { ...contract, intervals: { ...contract.intervals, volatilityFeature: 'atr_14' } },
      { ...expected, knownFeatures: new Set(['log_return_1', 'rsi_14', 'volatility_30']) },
    );
    assert.deepEqual(problems, ['feature rows lack feature(s) the model needs: atr_14']);
  });

  it('refuses a contract with a horizon and no interval scale for it', () => {
    const contract = fixtureContract();
    const problems = contractProblems(
      { ...contract, intervals: { ...contract.intervals, scale: { '1': 1 } } },
      expected,
    );
    assert.deepEqual(problems, ['contract has no interval scale for horizon(s) 5, 15, 60']);
  });
});

describe('rowMismatch', () => {
  it('finds nothing wrong with a row that carries every feature, even null ones', () => {
    const row = featureRow(0);
    assert.deepEqual(rowMismatch(fixtureContract(), { ...row, features: { ...row.features, rsi_14: null } }), []);
  });

  it('names a feature missing from the row and a schema version that differs', () => {
    const row = featureRow(0, { featureSchemaVersion: 2, features: { log_return_1: 0.001, volatility_30: 0.0004 } });
    const problems = rowMismatch(fixtureContract(), row);
    assert.equal(problems.length, 2, `both problems must be named: ${problems.join(' | ')}`);
    assert.match(problems.join('\n'), /rsi_14/);
    assert.match(problems.join('\n'), /schema version 2/);
  });
});

describe('featureVector', () => {
  it('orders inputs as the contract lists them, whatever the row order', () => {
    const row = featureRow(0, { features: { volatility_30: 3, rsi_14: 2, log_return_1: 1 } });
    assert.deepEqual(featureVector(fixtureContract(), row), { inputs: [1, 2, 3], volatility: 3 });
  });

  it('is null while a needed feature warms up', () => {
    const row = featureRow(0, { features: { volatility_30: 3, rsi_14: null, log_return_1: 1 } });
    assert.equal(featureVector(fixtureContract(), row), null);
  });
});
