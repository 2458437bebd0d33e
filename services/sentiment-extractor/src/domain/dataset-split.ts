import { createHash } from 'node:crypto';

/**
 * A fixed split by a hash of the example's text: the same sentence always lands on the same
 * side, whatever file or agreement level it comes from, so nothing leaks from test to train.
 * `testShare` of the hash space (by the first 4 bytes of sha256) is the test side.
 */
export function isTestByHash(text: string, testShare: number, salt = 'sentiment-split-v1'): boolean {
  const digest = createHash('sha256').update(salt).update('\u0000').update(text.trim()).digest();
  return digest.readUInt32BE(0) / 0x1_0000_0000 < testShare;
}
