import nock from 'nock';
import { SourceError } from '../../src/sources/http';
import { MAX_VERSIONS, MlflowRegistry, modelNameProblem } from '../../src/sources/mlflow';

/**
 * Contract tests against the request and answer shapes of MLflow's REST API reference
 * (mlflow.org/docs/latest/rest-api.html): `GET /api/2.0/mlflow/registered-models/alias`,
 * `POST /api/2.0/mlflow/registered-models/alias`, `GET /api/2.0/mlflow/model-versions/search`,
 * and its error body `{"error_code", "message"}`.
 */
const MLFLOW = 'http://mlflow.test:5000';
const AUTH = 'Bearer mlflow-secret-789';
const registry = new MlflowRegistry({ url: MLFLOW, authorization: AUTH });

/** A ModelVersion as MLflow 2.x answers it. */
function modelVersion(version: string, status = 'READY', aliases: string[] = []) {
  return {
    name: 'heart-disease',
    version,
    creation_timestamp: 1732700000000 + Number(version),
    last_updated_timestamp: 1732700000000 + Number(version),
    current_stage: 'None',
    description: '',
    source: `s3://mlflow/1/run${version}/artifacts/model`,
    run_id: `run${version}`,
    status,
    run_link: '',
    aliases,
  };
}

afterEach(() => nock.cleanAll());
afterAll(() => nock.restore());

describe("MLflow's model registry", () => {
  it('reads the version an alias points to, with the credentials', async () => {
    const scope = nock(MLFLOW, { reqheaders: { authorization: AUTH } })
      .get('/api/2.0/mlflow/registered-models/alias')
      .query({ name: 'heart-disease', alias: 'champion' })
      .reply(200, { model_version: modelVersion('7', 'READY', ['champion']) });
    expect(await registry.versionOfAlias('heart-disease', 'champion')).toEqual({
      name: 'heart-disease',
      version: '7',
      status: 'READY',
      aliases: ['champion'],
    });
    expect(scope.isDone()).toBe(true);
  });

  it('moves an alias with a JSON POST, and takes the empty answer', async () => {
    const scope = nock(MLFLOW, {
      reqheaders: { authorization: AUTH, 'content-type': 'application/json' },
    })
      .post('/api/2.0/mlflow/registered-models/alias', {
        name: 'heart-disease',
        alias: 'champion',
        version: '6',
      })
      .reply(200, {});
    await registry.setAlias('heart-disease', 'champion', '6');
    expect(scope.isDone()).toBe(true);
  });

  it('searches the versions of a model page by page', async () => {
    const scope = nock(MLFLOW)
      .get('/api/2.0/mlflow/model-versions/search')
      .query({ filter: "name='heart-disease'", max_results: '200' })
      .reply(200, {
        model_versions: [modelVersion('7'), modelVersion('6')],
        next_page_token: 'page-2',
      })
      .get('/api/2.0/mlflow/model-versions/search')
      .query({ filter: "name='heart-disease'", max_results: '200', page_token: 'page-2' })
      .reply(200, { model_versions: [modelVersion('5', 'FAILED_REGISTRATION')] });
    const versions = await registry.versions('heart-disease');
    expect(versions.map((v) => [v.version, v.status])).toEqual([
      ['7', 'READY'],
      ['6', 'READY'],
      ['5', 'FAILED_REGISTRATION'],
    ]);
    expect(scope.isDone()).toBe(true);
  });

  it('stops after MAX_VERSIONS versions, however many pages the server offers', async () => {
    let pages = 0;
    nock(MLFLOW)
      .get('/api/2.0/mlflow/model-versions/search')
      .query(true)
      .times(100)
      .reply(200, () => {
        pages += 1;
        return {
          model_versions: Array.from({ length: 200 }, (_, i) =>
            modelVersion(String(pages * 1000 + i)),
          ),
          next_page_token: `p${pages}`,
        };
      });
    expect(await registry.versions('heart-disease')).toHaveLength(MAX_VERSIONS);
    expect(pages).toBe(MAX_VERSIONS / 200);
  });

  it('refuses a model name that would escape the search filter, before any request', async () => {
    expect(modelNameProblem("heart' OR name='x")).toBe(
      'must not contain quotes, backslashes or line breaks',
    );
    await expect(registry.versions("heart' OR name='x")).rejects.toThrow(SourceError);
  });

  it("says MLflow's error code and message, retryable only for 5xx and 429, and never the token", async () => {
    nock(MLFLOW).get('/api/2.0/mlflow/registered-models/alias').query(true).reply(404, {
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Registered model alias champion not found.',
    });
    const missing = await registry
      .versionOfAlias('heart-disease', 'champion')
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SourceError);
    expect((missing as SourceError).message).toBe(
      'MLflow at http://mlflow.test:5000: RESOURCE_DOES_NOT_EXIST (HTTP 404): Registered model alias champion not found.',
    );
    expect((missing as SourceError).retryable).toBe(false);
    expect((missing as SourceError).message).not.toContain('mlflow-secret');

    nock(MLFLOW).post('/api/2.0/mlflow/registered-models/alias').reply(503, 'upstream down');
    const down = await registry.setAlias('heart-disease', 'champion', '6').catch((e: unknown) => e);
    expect((down as SourceError).message).toBe('MLflow at http://mlflow.test:5000: HTTP 503');
    expect((down as SourceError).retryable).toBe(true);
  });

  it('refuses an alias answer without a model version', async () => {
    nock(MLFLOW).get('/api/2.0/mlflow/registered-models/alias').query(true).reply(200, {});
    await expect(registry.versionOfAlias('heart-disease', 'champion')).rejects.toThrow(
      'answered registered-models/alias without a model version',
    );
  });
});
