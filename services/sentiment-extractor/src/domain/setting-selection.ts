/** A setting's validation macro-F1 per labelled set (in the sets' order) and their mean. */
export interface ValidatedSetting<T> {
  setting: T;
  perSet: readonly number[];
  mean: number;
}

/**
 * The classifier head's selection rule: the highest validation macro-F1 on the `target` set among
 * the settings whose validation macro-F1 on the `floorSet` is at least `floor`; when none clears
 * the floor, the highest mean over the sets. Ties keep the earlier setting.
 */
export function selectSetting<T>(
  compared: readonly ValidatedSetting<T>[],
  rule: { target: number; floorSet: number; floor: number },
): ValidatedSetting<T> | undefined {
  const eligible = compared.filter((entry) => (entry.perSet[rule.floorSet] ?? 0) >= rule.floor);
  const pool = eligible.length > 0 ? eligible : compared;
  const key = (entry: ValidatedSetting<T>): number =>
    eligible.length > 0 ? (entry.perSet[rule.target] ?? 0) : entry.mean;
  let best: ValidatedSetting<T> | undefined;
  for (const entry of pool) if (best === undefined || key(entry) > key(best)) best = entry;
  return best;
}
