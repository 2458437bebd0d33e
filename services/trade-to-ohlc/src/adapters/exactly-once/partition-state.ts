import { z } from 'zod';
import { AppError, readPartitionTail } from '@crypto-predict/core';
import { AggregatorSnapshot } from '../../domain/aggregator-snapshot.js';

/**
 * The state of the aggregator of one trades partition, as written to the state topic in the same
 * transaction as the candles it emitted and the consumer offset it reached: `nextOffset` is the
 * offset of the first trade it has NOT seen. Restoring it and resuming the partition there gives
 * exactly the output an uninterrupted run would have given.
 */
export const PartitionState = z.object({
  v: z.literal(1),
  topic: z.string().min(1),
  partition: z.number().int().nonnegative(),
  nextOffset: z.number().int().nonnegative(),
  /** Wall time of the commit, for people reading the topic. */
  savedAt: z.number(),
  aggregator: AggregatorSnapshot,
});
export type PartitionState = z.infer<typeof PartitionState>;

/** The key of a partition's state records; the state topic is compacted on it. */
export function stateKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

export interface StateLocation {
  brokers: string;
  stateTopic: string;
  statePartitions: number;
}

/** The state topic's partition holding the state of a trades partition. */
export function statePartition(location: StateLocation, partition: number): number {
  return partition % location.statePartitions;
}

/**
 * The latest committed state of a trades partition, or null if none was ever committed. Reads the
 * end of its state-topic partition (a few records: one state record and one commit marker per
 * transaction), going further back only when the last records are another partition's.
 */
export async function readPartitionState(
  location: StateLocation,
  topic: string,
  partition: number,
): Promise<PartitionState | null> {
  const key = stateKey(topic, partition);
  for (let count = 16; ; count *= 4) {
    const tail = await readPartitionTail({
      brokers: location.brokers,
      topic: location.stateTopic,
      partition: statePartition(location, partition),
      count,
    });
    for (let i = tail.records.length - 1; i >= 0; i -= 1) {
      const record = tail.records[i];
      if (record === undefined || record.key !== key) continue;
      return parseState(record.value, `${location.stateTopic} offset ${record.offset}`);
    }
    if (tail.startOffset <= tail.lowOffset) return null;
  }
}

function parseState(text: string | null, where: string): PartitionState {
  let json: unknown;
  try {
    json = text === null ? null : JSON.parse(text);
  } catch (error) {
    throw new AppError('MESSAGE_INVALID', `the aggregator state at ${where} is not JSON`, {
      cause: error,
      retryable: false,
    });
  }
  const parsed = PartitionState.safeParse(json);
  if (!parsed.success) {
    throw new AppError('MESSAGE_INVALID', `the aggregator state at ${where} is invalid: ${parsed.error.message}`, {
      retryable: false,
    });
  }
  return parsed.data;
}
