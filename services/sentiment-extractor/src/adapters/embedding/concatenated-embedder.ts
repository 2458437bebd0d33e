import { EMBEDDERS, type EmbedderName } from '../../domain/embedders.js';
import { SentenceEmbedder, type TextEmbedder } from './sentence-embedder.js';

/**
 * Several embedders read as one: a text's vector is theirs side by side, in the given order (each
 * part keeps its own unit length). The classifier head reads all-mpnet-base-v2 and
 * all-MiniLM-L6-v2 together: each carries polarity cues the other misses (README, "The
 * classifier head").
 */
export class ConcatenatedEmbedder implements TextEmbedder {
  readonly name: string;
  readonly dimensions: number;

  constructor(private readonly parts: readonly TextEmbedder[]) {
    if (parts.length === 0) throw new Error('ConcatenatedEmbedder needs at least one embedder');
    this.name = parts.map((part) => part.name).join('+');
    this.dimensions = parts.reduce((sum, part) => sum + part.dimensions, 0);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    // One model at a time: each already uses every intra-op thread it is given.
    const vectors: Float32Array[][] = [];
    for (const part of this.parts) vectors.push(await part.embed(texts));
    return texts.map((_, i) =>
      concatenate(
        vectors.map((perPart) => perPart[i]),
        this.parts,
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.parts.map((part) => part.close()));
  }
}

/** Vectors side by side; a missing one (which an embedder never returns) stays zeros. */
export function concatenate(
  vectors: ReadonlyArray<Float32Array | undefined>,
  parts: ReadonlyArray<{ dimensions: number }>,
): Float32Array {
  const out = new Float32Array(parts.reduce((sum, part) => sum + part.dimensions, 0));
  let offset = 0;
  parts.forEach((part, p) => {
    const vector = vectors[p];
    if (vector !== undefined) out.set(vector.subarray(0, part.dimensions), offset);
    offset += part.dimensions;
  });
  return out;
}

/**
 * The embedder a head reads: the named encoders from their files in the models folder, side by
 * side when there are several. Headlines fit in 128 word pieces; longer bodies are cut.
 */
export async function loadEmbedder(
  names: readonly EmbedderName[],
  files: Readonly<Record<EmbedderName, { onnx: string; vocab: string }>>,
  threads: number,
): Promise<TextEmbedder> {
  const parts: SentenceEmbedder[] = [];
  try {
    for (const name of names)
      parts.push(
        await SentenceEmbedder.load({
          spec: EMBEDDERS[name],
          onnxPath: files[name].onnx,
          vocabPath: files[name].vocab,
          maxTokens: 128,
          threads,
          batchSize: 32,
        }),
      );
  } catch (error) {
    await Promise.all(parts.map((part) => part.close()));
    throw error;
  }
  const [only] = parts;
  return parts.length === 1 && only !== undefined ? only : new ConcatenatedEmbedder(parts);
}
