/** Where the local stack's servers are (scripts/stack.sh): the environment, else the stack's defaults. */
export interface StackEnv {
  kafkaBrokers: string;
  elasticsearchUrl: string;
  databaseUrl: string;
  mlflowUri: string;
}

export function stackEnv(env: Record<string, string | undefined> = process.env): StackEnv {
  return {
    kafkaBrokers: env.KAFKA_BROKERS ?? '127.0.0.1:19092',
    elasticsearchUrl: env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:19200',
    databaseUrl: env.DATABASE_URL ?? 'postgres://crypto:crypto@127.0.0.1:15432/crypto',
    mlflowUri: env.MLFLOW_TRACKING_URI ?? 'http://127.0.0.1:15000',
  };
}

/** The same server URL with another database name, for a run that wants a database of its own. */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
