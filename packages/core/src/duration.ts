const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses a duration like 90s, 15m, 1h, 24h or 7d into milliseconds; null when it is not one. */
export function parseDuration(text: string): number | null {
  const match = /^([1-9][0-9]{0,5})([smhd])$/.exec(text.trim());
  if (match === null) return null;
  const [, count, unit] = match;
  if (count === undefined || unit === undefined) return null;
  return Number(count) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

/** The shortest way to write a duration in one unit, e.g. for metric labels: 3600000 → 1h. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
