/**
 * API key administration:
 *   node --import tsx services/predictions-api/src/cli/keys.ts create --name <name>   prints the new key once
 *   node --import tsx services/predictions-api/src/cli/keys.ts revoke --id <id>
 *   node --import tsx services/predictions-api/src/cli/keys.ts list
 * Reads DATABASE_URL and DATABASE_SCHEMA like the API.
 */
import { parseArgs } from 'node:util';
import { describeError } from '@crypto-predict/core';
import { ApiKeyStore } from '../adapters/api-key-store.js';
import { loadApiConfig } from '../config.js';

const USAGE = 'usage: keys.ts create --name <name> | revoke --id <id> | list';

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, id: { type: 'string' } },
  });
  const command = positionals[0];
  const config = loadApiConfig();
  const store = ApiKeyStore.connect(config.DATABASE_URL, config.DATABASE_SCHEMA);
  try {
    await store.ensureSchema();
    if (command === 'create') {
      const name = values.name?.trim() ?? '';
      if (name.length === 0 || name.length > 200) {
        process.stderr.write(`create needs --name (1-200 characters)\n${USAGE}\n`);
        return 2;
      }
      const { record, key } = await store.create(name);
      process.stderr.write(`created key ${record.id} (${record.name}); store it now, it is not shown again:\n`);
      process.stdout.write(`${key}\n`);
      return 0;
    }
    if (command === 'revoke') {
      const id = Number(values.id);
      if (!Number.isSafeInteger(id) || id <= 0) {
        process.stderr.write(`revoke needs --id <positive integer>\n${USAGE}\n`);
        return 2;
      }
      const revoked = await store.revoke(id);
      process.stderr.write(revoked ? `revoked key ${id}\n` : `no active key ${id}\n`);
      return revoked ? 0 : 1;
    }
    if (command === 'list') {
      for (const record of await store.list()) {
        const state = record.revokedAt === null ? 'active' : `revoked ${record.revokedAt.toISOString()}`;
        process.stdout.write(`${record.id}\t${record.name}\tcreated ${record.createdAt.toISOString()}\t${state}\n`);
      }
      return 0;
    }
    process.stderr.write(`${USAGE}\n`);
    return 2;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`keys: ${describeError(error)}\n`);
    process.exit(1);
  },
);
