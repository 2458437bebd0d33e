import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlertCooldown } from './alert-cooldown.js';

describe('AlertCooldown', () => {
  it('lets one alert per key through per cooldown of event time', () => {
    const cooldown = new AlertCooldown(60_000);
    assert.equal(cooldown.admit('error-drift|BTC/USDT|5', 1_000_000), true, 'the first alert goes out');
    assert.equal(
      cooldown.admit('error-drift|BTC/USDT|5', 1_059_999),
      false,
      'a repeat inside the cooldown is suppressed',
    );
    assert.equal(cooldown.admit('error-drift|BTC/USDT|15', 1_030_000), true, 'another horizon is another key');
    assert.equal(cooldown.admit('coverage-drift|BTC/USDT|5', 1_030_000), true, 'another kind is another key');
    assert.equal(cooldown.admit('error-drift|BTC/USDT|5', 1_060_000), true, 'after the cooldown it goes out again');
    assert.equal(
      cooldown.admit('error-drift|BTC/USDT|5', 900_000),
      false,
      'event time going backwards stays suppressed',
    );
  });
});
