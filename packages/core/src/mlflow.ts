import { z } from 'zod';
import { AppError } from './errors.js';
import { ModelContract } from './schemas/index.js';

/** The file beside every registered model that says what it was trained on and how to run it. */
export const CONTRACT_FILE = 'contract.json';

/** One registered model version, as the registry describes it. */
export interface ModelVersionRef {
  name: string;
  version: string;
  /** Where the version's files are: `<run artifact uri>/model`. */
  source: string;
  runId: string | null;
}

/** The version an alias points at, with its parsed contract. */
export interface AliasContract {
  version: ModelVersionRef;
  contract: ModelContract;
}

const ModelVersionResponse = z.object({
  model_version: z.object({
    name: z.string().min(1),
    version: z.coerce.string().min(1),
    source: z.string().min(1),
    run_id: z.string().optional(),
  }),
});

/**
 * The parts of MLflow's REST API that serving and monitoring read: resolve an alias or a version,
 * download a version's files through the tracking server's artifact proxy, and read its contract.
 * It keeps nothing: what to cache and how often to look again is each caller's policy.
 *
 * Errors: MLflow unreachable or answering 5xx is UPSTREAM_UNAVAILABLE (retryable); an answer that
 * is not what MLflow sends is UPSTREAM_INVALID; a version whose files are missing or unusable is
 * MODEL_UNAVAILABLE and an invalid contract MODEL_CONTRACT_MISMATCH, neither retryable.
 */
export class MlflowRegistry {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(trackingUri: string, options: { timeoutMs?: number } = {}) {
    this.base = trackingUri.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** The version an alias points at, or null when the alias (or the model) does not exist. */
  async resolveAlias(name: string, alias: string): Promise<ModelVersionRef | null> {
    const query = new URLSearchParams({ name, alias });
    return this.modelVersion(
      `/api/2.0/mlflow/registered-models/alias?${query.toString()}`,
      `alias ${alias} of ${name}`,
    );
  }

  /** A version by number, or null when it does not exist. */
  async getVersion(name: string, version: string): Promise<ModelVersionRef | null> {
    const query = new URLSearchParams({ name, version });
    return this.modelVersion(`/api/2.0/mlflow/model-versions/get?${query.toString()}`, `version ${version} of ${name}`);
  }

  /** Downloads one file of a version's artifact folder (its `source`). */
  async downloadArtifact(source: string, file: string): Promise<Buffer> {
    const url = `${this.base}/api/2.0/mlflow-artifacts/artifacts/${artifactPath(source)}/${encodePath(file)}`;
    const response = await this.fetch(url, `artifact ${file} of ${source}`);
    if (response.status === 404) {
      throw new AppError('MODEL_UNAVAILABLE', `artifact ${file} not found under ${source}`, { retryable: false });
    }
    if (!response.ok) {
      throw new AppError(
        'UPSTREAM_UNAVAILABLE',
        `MLflow answered HTTP ${response.status} for artifact ${file} of ${source}`,
      );
    }
    return Buffer.from(await response.arrayBuffer());
  }

  /** The version an alias points at and its parsed `contract.json`, or null when there is no such alias. */
  async aliasContract(name: string, alias: string): Promise<AliasContract | null> {
    const version = await this.resolveAlias(name, alias);
    if (version === null) return null;
    const bytes = await this.downloadArtifact(version.source, CONTRACT_FILE);
    return { version, contract: parseModelContract(bytes, `${version.name}@${version.version}`) };
  }

  private async modelVersion(path: string, what: string): Promise<ModelVersionRef | null> {
    const response = await this.fetch(`${this.base}${path}`, what);
    const text = await response.text();
    if (!response.ok) {
      if (isDoesNotExist(response.status, text)) return null;
      throw new AppError(
        'UPSTREAM_UNAVAILABLE',
        `MLflow answered HTTP ${response.status} for ${what}: ${text.slice(0, 200)}`,
      );
    }
    let parsed;
    try {
      parsed = ModelVersionResponse.parse(JSON.parse(text));
    } catch (error) {
      throw new AppError('UPSTREAM_INVALID', `MLflow's answer for ${what} is not a model version`, { cause: error });
    }
    const { model_version: version } = parsed;
    return {
      name: version.name,
      version: version.version,
      source: version.source,
      runId: version.run_id === undefined || version.run_id === '' ? null : version.run_id,
    };
  }

  private async fetch(url: string, what: string): Promise<Response> {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new AppError('UPSTREAM_UNAVAILABLE', `MLflow at ${this.base} unreachable for ${what}`, { cause: error });
    }
  }
}

/**
 * A `contract.json` parsed as a ModelContract; anything else is a MODEL_CONTRACT_MISMATCH (not
 * retryable) listing every problem. `what` names the model version in the message.
 */
export function parseModelContract(bytes: Buffer | string, what: string): ModelContract {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (error) {
    throw new AppError('MODEL_CONTRACT_MISMATCH', `${what}: ${CONTRACT_FILE} is not JSON`, {
      cause: error,
      retryable: false,
    });
  }
  const result = ModelContract.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
    );
    throw new AppError('MODEL_CONTRACT_MISMATCH', `${what}: invalid contract: ${problems.join('; ')}`, {
      retryable: false,
      details: { problems },
    });
  }
  return result.data;
}

/**
 * MLflow says RESOURCE_DOES_NOT_EXIST (404) for a missing model, version or alias; some versions
 * answer 400 INVALID_PARAMETER_VALUE for an alias that is not set.
 */
function isDoesNotExist(status: number, body: string): boolean {
  if (status === 404) return true;
  if (status >= 500) return false;
  if (/RESOURCE_DOES_NOT_EXIST/.test(body)) return true;
  return status === 400 && /INVALID_PARAMETER_VALUE/.test(body) && /alias|not found|does not exist/i.test(body);
}

/**
 * The path under the artifact proxy for a version source. `mlflow-artifacts:/0/<run>/artifacts/model`
 * and `mlflow-artifacts://host:port/0/<run>/artifacts/model` both name `0/<run>/artifacts/model`.
 */
export function artifactPath(source: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(source);
  if (match === null || match[1] === undefined || match[1] === '') {
    throw new AppError(
      'MODEL_UNAVAILABLE',
      `model source ${source} is not an mlflow-artifacts: URI; serve the tracking server with --serve-artifacts`,
      { retryable: false },
    );
  }
  return encodePath(match[1].replace(/\/+$/, ''));
}

function encodePath(path: string): string {
  return path
    .split('/')
    .filter((part) => part.length > 0)
    .map((part) => {
      if (part === '.' || part === '..')
        throw new AppError('MODEL_UNAVAILABLE', `artifact path ${path} leaves its folder`, { retryable: false });
      return encodeURIComponent(part);
    })
    .join('/');
}
