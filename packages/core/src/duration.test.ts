import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';

describe('durations', () => {
  it('parses a count and a unit', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration(' 15m '), 900_000);
    assert.equal(parseDuration('24h'), 86_400_000);
    assert.equal(parseDuration('7d'), 604_800_000);
  });

  it('refuses anything else', () => {
    for (const text of ['', '0m', '01h', '1.5h', '1w', 'h', '-1h', '1234567d', '1 h']) {
      assert.equal(parseDuration(text), null, text);
    }
  });

  it('formats in the largest whole unit', () => {
    assert.equal(formatDuration(3_600_000), '1h');
    assert.equal(formatDuration(5_400_000), '90m');
    assert.equal(formatDuration(86_400_000 * 7), '7d');
    assert.equal(formatDuration(1_500), '1500ms');
    assert.equal(formatDuration(0), '0ms');
  });
});
