import { AppError, ModelContract } from '@crypto-predict/core';
import { z } from 'zod';

const AliasResponse = z.object({
  model_version: z.object({ name: z.string().min(1), version: z.coerce.string().min(1), source: z.string().min(1) }),
});

export interface ChampionContract {
  modelName: string;
  modelVersion: string;
  contract: ModelContract;
}

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Reads the contract of the model an alias points at from MLflow's REST API: the alias gives the
 * version and its source (`mlflow-artifacts:/<exp>/<run>/artifacts/model`), and the tracking
 * server's artifact proxy serves `contract.json` from that folder.
 */
export class ContractSource {
  private readonly base: string;

  constructor(trackingUri: string) {
    this.base = trackingUri.replace(/\/+$/, '');
  }

  /** The contract behind `alias`, or null when the model or the alias does not exist. */
  async fetch(modelName: string, alias: string): Promise<ChampionContract | null> {
    const query = new URLSearchParams({ name: modelName, alias });
    const response = await this.get(
      `${this.base}/api/2.0/mlflow/registered-models/alias?${query.toString()}`,
      `alias ${alias} of ${modelName}`,
    );
    const text = await response.text();
    if (!response.ok) {
      if (response.status === 404 || /RESOURCE_DOES_NOT_EXIST/.test(text)) return null;
      throw new AppError(
        'UPSTREAM_UNAVAILABLE',
        `MLflow answered HTTP ${response.status} for alias ${alias} of ${modelName}: ${text.slice(0, 200)}`,
      );
    }
    const version = parseJson(AliasResponse, text, `alias ${alias} of ${modelName}`).model_version;
    const url = `${this.base}/api/2.0/mlflow-artifacts/artifacts/${artifactPath(version.source)}/contract.json`;
    const artifact = await this.get(url, `contract of ${modelName}@${version.version}`);
    if (!artifact.ok) {
      throw new AppError(
        'UPSTREAM_UNAVAILABLE',
        `MLflow answered HTTP ${artifact.status} for the contract of ${modelName}@${version.version}`,
        {
          retryable: artifact.status >= 500,
        },
      );
    }
    const contract = parseJson(ModelContract, await artifact.text(), `contract of ${modelName}@${version.version}`);
    return { modelName: version.name, modelVersion: version.version, contract };
  }

  private async get(url: string, what: string): Promise<Response> {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new AppError('UPSTREAM_UNAVAILABLE', `MLflow at ${this.base} unreachable for ${what}`, { cause: error });
    }
  }
}

function parseJson<S extends z.ZodType>(schema: S, text: string, what: string): z.output<S> {
  try {
    return schema.parse(JSON.parse(text));
  } catch (error) {
    throw new AppError('UPSTREAM_INVALID', `MLflow's answer for ${what} is not what was expected`, {
      cause: error,
      retryable: false,
    });
  }
}

/** `mlflow-artifacts:/0/<run>/artifacts/model` (or with `//host:port`) → `0/<run>/artifacts/model`. */
export function artifactPath(source: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(source);
  const path = match?.[1]?.replace(/\/+$/, '');
  if (path === undefined || path === '') {
    throw new AppError('UPSTREAM_INVALID', `model source ${source} is not an mlflow-artifacts: URI`, {
      retryable: false,
    });
  }
  return path
    .split('/')
    .filter((part) => part.length > 0 && part !== '.' && part !== '..')
    .map((part) => encodeURIComponent(part))
    .join('/');
}
