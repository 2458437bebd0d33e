/** A PostgreSQL schema name for a test prefix (`t-1a2b3c4d` → `t_1a2b3c4d`). */
export function schemaFor(prefix: string): string {
  return prefix.replace(/-/g, '_');
}
