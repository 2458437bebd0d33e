// Writes packages/core/json-schema/<name>.schema.json from the zod schemas. A test fails when the
// committed files differ from what this would write, so run it after changing a schema.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jsonSchemaOf, SCHEMAS, type SchemaName } from '../src/json-schema.js';

const outDir = fileURLToPath(new URL('../json-schema/', import.meta.url));
for (const name of Object.keys(SCHEMAS) as SchemaName[]) {
  writeFileSync(`${outDir}${name}.schema.json`, `${JSON.stringify(jsonSchemaOf(name), null, 2)}\n`);
  console.log(`wrote json-schema/${name}.schema.json`);
}
