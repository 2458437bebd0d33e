import { artifactPath } from '../mlflow.js';

/**
 * Registers models in a real MLflow over its REST API, as the trainer does: an experiment, a run,
 * the run's `model/` artifacts uploaded through the tracking server's proxy, a registered model
 * version whose source is `<artifact uri>/model`, and aliases. Everything is deleted by `cleanup`.
 */
export class MlflowAdmin {
  private experimentId: string | null = null;
  private readonly models = new Set<string>();

  /** `label` names the test's experiment (`<label>-test-<model>-<time>`). */
  constructor(
    readonly url: string,
    private readonly label = 'crypto-predict',
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`MLflow ${method} ${path} → ${response.status}: ${text}`);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  async reachable(): Promise<boolean> {
    try {
      return (await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(3000) })).ok;
    } catch {
      return false;
    }
  }

  /** A new version of `name` holding the given files under `model/`; resolves its version number. */
  async registerVersion(name: string, files: Record<string, Buffer | string>): Promise<string> {
    if (this.experimentId === null) {
      const created = await this.call<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', {
        name: `${this.label}-test-${name}-${Date.now()}`,
      });
      this.experimentId = created.experiment_id;
    }
    const { run } = await this.call<{ run: { info: { run_id: string; artifact_uri: string } } }>(
      'POST',
      '/api/2.0/mlflow/runs/create',
      { experiment_id: this.experimentId, start_time: Date.now() },
    );
    const artifacts = artifactPath(run.info.artifact_uri);
    for (const [file, content] of Object.entries(files)) {
      const response = await fetch(`${this.url}/api/2.0/mlflow-artifacts/artifacts/${artifacts}/model/${file}`, {
        method: 'PUT',
        body: typeof content === 'string' ? content : new Uint8Array(content),
      });
      if (!response.ok) throw new Error(`artifact upload of ${file} → ${response.status}: ${await response.text()}`);
    }
    await this.call('POST', '/api/2.0/mlflow/runs/update', {
      run_id: run.info.run_id,
      status: 'FINISHED',
      end_time: Date.now(),
    });
    if (!this.models.has(name)) {
      await this.call('POST', '/api/2.0/mlflow/registered-models/create', { name });
      this.models.add(name);
    }
    const { model_version: version } = await this.call<{ model_version: { version: string; status: string } }>(
      'POST',
      '/api/2.0/mlflow/model-versions/create',
      { name, source: `${run.info.artifact_uri}/model`, run_id: run.info.run_id },
    );
    for (let status = version.status, tries = 0; status !== 'READY'; tries += 1) {
      if (tries > 50) throw new Error(`${name} v${version.version} stuck in ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const query = new URLSearchParams({ name, version: String(version.version) });
      status = (
        await this.call<{ model_version: { status: string } }>(
          'GET',
          `/api/2.0/mlflow/model-versions/get?${query.toString()}`,
        )
      ).model_version.status;
    }
    return String(version.version);
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.call('POST', '/api/2.0/mlflow/registered-models/alias', { name, alias, version });
  }

  async cleanup(): Promise<void> {
    for (const name of this.models)
      await this.call('DELETE', '/api/2.0/mlflow/registered-models/delete', { name }).catch(() => undefined);
    if (this.experimentId !== null) {
      await this.call('POST', '/api/2.0/mlflow/experiments/delete', { experiment_id: this.experimentId }).catch(
        () => undefined,
      );
    }
  }
}
