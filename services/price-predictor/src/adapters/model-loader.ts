import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AppError,
  CONTRACT_FILE,
  parseModelContract,
  type MlflowRegistry,
  type ModelVersionRef,
} from '@crypto-predict/core';
import { contractProblems, type ServingExpectation } from '../domain/contract-check.js';
import { OnnxModel } from './onnx-model.js';

/**
 * Loads a registered model version for serving: downloads `contract.json` and the ONNX file into
 * the cache (once per version), parses the contract, checks it against what the predictor serves,
 * and opens the model in onnxruntime. Any mismatch is a MODEL_CONTRACT_MISMATCH that no retry fixes.
 */
export class ModelLoader {
  constructor(
    private readonly registry: MlflowRegistry,
    private readonly cacheDir: string,
  ) {}

  async load(ref: ModelVersionRef, expected: ServingExpectation): Promise<OnnxModel> {
    const dir = this.versionDir(ref);
    const contract = parseModelContract(await this.cached(ref, dir, CONTRACT_FILE), `${ref.name}@${ref.version}`);
    const problems = contractProblems(contract, expected);
    if (problems.length > 0) {
      throw new AppError('MODEL_CONTRACT_MISMATCH', `${ref.name}@${ref.version} refused: ${problems.join('; ')}`, {
        retryable: false,
        details: { problems },
      });
    }
    await this.cached(ref, dir, contract.onnx.file);
    try {
      return await OnnxModel.open({
        name: ref.name,
        version: ref.version,
        contract,
        file: path.join(dir, safeFileName(contract.onnx.file)),
      });
    } catch (error) {
      throw AppError.from(error, 'MODEL_CONTRACT_MISMATCH', `${ref.name}@${ref.version} refused`);
    }
  }

  /** One folder per version and source, so a re-registered name never serves stale files. */
  private versionDir(ref: ModelVersionRef): string {
    const sourceHash = createHash('sha256').update(ref.source).digest('hex').slice(0, 12);
    return path.join(this.cacheDir, safeFileName(ref.name), `${safeFileName(ref.version)}-${sourceHash}`);
  }

  /** The file's bytes from the cache, downloading it first if needed (written whole, then renamed). */
  private async cached(ref: ModelVersionRef, dir: string, file: string): Promise<Buffer> {
    const target = path.join(dir, safeFileName(file));
    try {
      return await readFile(target);
    } catch {
      // not cached yet
    }
    const bytes = await this.registry.downloadArtifact(ref.source, file);
    try {
      await mkdir(dir, { recursive: true });
      const partial = `${target}.${process.pid}.${Date.now()}.partial`;
      await writeFile(partial, bytes);
      await rename(partial, target).catch(async (error: unknown) => {
        await rm(partial, { force: true });
        throw error;
      });
    } catch (error) {
      throw new AppError('INTERNAL', `could not write ${file} into the model cache ${dir}`, {
        cause: error,
        retryable: false,
      });
    }
    return bytes;
  }
}

/** A name usable as one path segment: a model name, a version or an artifact file name. */
function safeFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_');
  if (safe === '' || safe === '.' || safe === '..')
    throw new AppError('MODEL_CONTRACT_MISMATCH', `unusable file name ${name}`, { retryable: false });
  return safe;
}
