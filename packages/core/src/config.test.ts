import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { env, loadConfig } from './config.js';
import { AppError } from './errors.js';

const schema = z.object({
  PORT: env.port(8080),
  BROKERS: env.string(),
  DEBUG: env.bool(false),
  HORIZONS: env.list('1,5'),
});

describe('loadConfig', () => {
  it('applies defaults and coerces strings', () => {
    const config = loadConfig(schema, { BROKERS: 'a:1', DEBUG: 'yes' });
    assert.deepEqual(config, { PORT: 8080, BROKERS: 'a:1', DEBUG: true, HORIZONS: ['1', '5'] });
  });

  it('lists every problem at once', () => {
    assert.throws(
      () => loadConfig(schema, { PORT: 'abc', DEBUG: 'maybe' }),
      (error: unknown) => {
        assert.ok(error instanceof AppError);
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, /PORT/, 'the bad port is named');
        assert.match(error.message, /BROKERS/, 'the missing broker list is named');
        assert.match(error.message, /DEBUG/, 'the bad flag is named');
        assert.equal((error.details.problems as string[]).length, 3);
        return true;
      },
    );
  });
});
