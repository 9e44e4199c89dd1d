/**
 * MLflow's model registry, over its REST API (`/api/2.0/mlflow/...`), for `restore-model` steps
 * that point a registered model's alias (`champion`) back to a previous version. Requests go
 * through http.ts: a deadline each, a bounded answer, the credentials in a header. Errors name
 * the server's `error_code` and message, never the credentials.
 */
import { parseJson, publicUrl, request, SourceError, type SourceConnection } from './http';

/** One registered model version, as the registry answers it (the fields read). */
export interface ModelVersion {
  readonly name: string;
  readonly version: string;
  /** `READY`, `PENDING_REGISTRATION` or `FAILED_REGISTRATION`. */
  readonly status: string;
  readonly aliases: readonly string[];
}

/** What `restore-model` needs of a model registry. */
export interface ModelRegistry {
  /** `GET registered-models/alias`: the version the alias points to. */
  versionOfAlias(model: string, alias: string, signal?: AbortSignal): Promise<ModelVersion>;
  /** `GET model-versions/search` with `name='<model>'`, every page up to a bound. */
  versions(model: string, signal?: AbortSignal): Promise<ModelVersion[]>;
  /** `POST registered-models/alias`. */
  setAlias(model: string, alias: string, version: string, signal?: AbortSignal): Promise<void>;
}

/** Versions read at most (pages of 200): a bounded cost for a model with a long history. */
export const MAX_VERSIONS = 1000;
const PAGE_SIZE = 200;

const NAME = 'MLflow';

/** A registered model name fit for the search filter: quotes and backslashes would escape it. */
export function modelNameProblem(model: string): string | undefined {
  if (model === '' || model.length > 256) return 'must be 1 to 256 characters';
  if (/['"\\\n\r]/.test(model)) return 'must not contain quotes, backslashes or line breaks';
  return undefined;
}

export class MlflowRegistry implements ModelRegistry {
  constructor(private readonly connection: SourceConnection) {}

  async versionOfAlias(model: string, alias: string, signal?: AbortSignal): Promise<ModelVersion> {
    const data = await this.call(
      'GET',
      '/api/2.0/mlflow/registered-models/alias',
      { params: { name: model, alias } },
      signal,
    );
    const version = modelVersionOf((data as { model_version?: unknown }).model_version);
    if (version === undefined) throw this.malformed('registered-models/alias');
    return version;
  }

  async versions(model: string, signal?: AbortSignal): Promise<ModelVersion[]> {
    const problem = modelNameProblem(model);
    if (problem !== undefined) {
      throw new SourceError(this.where(), `model name ${JSON.stringify(model)} ${problem}`, false);
    }
    const found: ModelVersion[] = [];
    let token: string | undefined;
    do {
      const data = (await this.call(
        'GET',
        '/api/2.0/mlflow/model-versions/search',
        {
          params: {
            filter: `name='${model}'`,
            max_results: String(PAGE_SIZE),
            ...(token === undefined ? {} : { page_token: token }),
          },
        },
        signal,
      )) as { model_versions?: unknown; next_page_token?: unknown };
      const page = Array.isArray(data.model_versions) ? data.model_versions : [];
      for (const raw of page) {
        const version = modelVersionOf(raw);
        if (version !== undefined) found.push(version);
      }
      token =
        typeof data.next_page_token === 'string' && data.next_page_token !== ''
          ? data.next_page_token
          : undefined;
    } while (token !== undefined && found.length < MAX_VERSIONS);
    return found;
  }

  async setAlias(
    model: string,
    alias: string,
    version: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.call(
      'POST',
      '/api/2.0/mlflow/registered-models/alias',
      { body: { name: model, alias, version } },
      signal,
    );
  }

  private where(): string {
    return `${NAME} at ${publicUrl(this.connection)}`;
  }

  private malformed(what: string): SourceError {
    return new SourceError(this.where(), `answered ${what} without a model version`, false);
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    options: { params?: Record<string, string>; body?: unknown },
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const answer = await request(this.connection, NAME, {
      method,
      path,
      ...(options.params === undefined ? {} : { params: options.params }),
      ...(options.body === undefined ? {} : { body: options.body }),
      signal,
    });
    const source = this.where();
    if (answer.status >= 200 && answer.status < 300)
      return answer.text === '' ? {} : parseJson(answer, source);
    // MLflow's errors: {"error_code":"RESOURCE_DOES_NOT_EXIST","message":"..."}.
    let detail = `HTTP ${answer.status}`;
    try {
      const body = JSON.parse(answer.text) as { error_code?: unknown; message?: unknown };
      if (typeof body.error_code === 'string') {
        const message = typeof body.message === 'string' ? `: ${body.message.slice(0, 300)}` : '';
        detail = `${body.error_code} (HTTP ${answer.status})${message}`;
      }
    } catch {
      // Not MLflow's JSON (a proxy's page): the status says enough.
    }
    throw new SourceError(source, detail, answer.status >= 500 || answer.status === 429);
  }
}

function modelVersionOf(raw: unknown): ModelVersion | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const v = raw as { name?: unknown; version?: unknown; status?: unknown; aliases?: unknown };
  if (typeof v.name !== 'string' || typeof v.version !== 'string') return undefined;
  return {
    name: v.name,
    version: v.version,
    status: typeof v.status === 'string' ? v.status : 'UNKNOWN',
    aliases: Array.isArray(v.aliases)
      ? v.aliases.filter((a): a is string => typeof a === 'string')
      : [],
  };
}
