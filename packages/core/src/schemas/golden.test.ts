import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jsonSchemaOf, SCHEMAS, type SchemaName } from '../json-schema.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function schemaNameOf(file: string): SchemaName {
  const name = file.split('.')[0] ?? '';
  assert.ok(name in SCHEMAS, `golden file ${file} names no known schema`);
  return name as SchemaName;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

describe('golden sample messages', () => {
  const valid = readdirSync(`${root}golden`).filter((file) => file.endsWith('.json'));
  const invalid = readdirSync(`${root}golden/invalid`).filter((file) => file.endsWith('.json'));

  it('cover every shared schema', () => {
    const covered = new Set(valid.map(schemaNameOf));
    for (const name of Object.keys(SCHEMAS)) assert.ok(covered.has(name as SchemaName), `no golden sample for ${name}`);
  });

  for (const file of valid) {
    it(`${file} parses`, () => {
      const result = SCHEMAS[schemaNameOf(file)].safeParse(readJson(`${root}golden/${file}`));
      assert.ok(result.success, `${file} must parse: ${result.success ? '' : result.error.message}`);
    });
  }

  for (const file of invalid) {
    it(`invalid/${file} is refused`, () => {
      const result = SCHEMAS[schemaNameOf(file)].safeParse(readJson(`${root}golden/invalid/${file}`));
      assert.equal(result.success, false, `${file} must be refused`);
    });
  }
});

describe('exported JSON Schemas', () => {
  for (const name of Object.keys(SCHEMAS) as SchemaName[]) {
    it(`${name}.schema.json is up to date (run packages/core/scripts/export-json-schema.ts)`, () => {
      const committed = readJson(`${root}json-schema/${name}.schema.json`);
      assert.deepEqual(committed, jsonSchemaOf(name));
    });
  }
});
