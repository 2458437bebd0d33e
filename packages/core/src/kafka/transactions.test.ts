import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../errors.js';
import { transactionFailure } from './transactions.js';

describe('transactionFailure', () => {
  it("reads librdkafka's flags on a client error", () => {
    assert.equal(transactionFailure({ fatal: true, abortable: true }), 'fatal', 'fatal wins');
    assert.equal(transactionFailure({ retriable: true }), 'retriable');
    assert.equal(transactionFailure({ abortable: true }), 'abortable');
  });

  it('treats an unclassified error as fatal: only a restart is known to recover', () => {
    assert.equal(transactionFailure(new Error('boom')), 'fatal');
    assert.equal(transactionFailure(null), 'fatal');
  });

  it('keeps the classification an AppError carries', () => {
    const error = new AppError('KAFKA_UNAVAILABLE', 'x', { details: { transaction: 'abortable' } });
    assert.equal(transactionFailure(error), 'abortable');
    assert.equal(transactionFailure(new AppError('TIMEOUT', 'slow')), 'retriable', 'a retryable AppError');
  });
});
