import { useEffect, useState } from 'preact/hooks';
import type { PlanPreviewView, PoliciesView } from '../../api/wire';
import { getJson, send } from '../api';
import { ErrorNote, JsonBlock, Time } from '../components';
import { liveState } from '../live';
import { session, signIn, signOut, writeBlocked } from '../session';
import { useStore } from '../store';
import { EXAMPLE_PAYLOAD } from './example-payload';

/** Signing in, the global pause, the policies in force and "try a payload". */
export function ControlsPage() {
  return (
    <section aria-labelledby="controls-title">
      <h1 id="controls-title">Controls</h1>
      <SignIn />
      <Pause />
      <Policies />
      <TryPayload />
    </section>
  );
}

/**
 * The API's credentials, entered once: the server checks them and answers with a session cookie
 * (HttpOnly: this page never sees it) and a CSRF token the console sends with every write.
 */
function SignIn() {
  const view = useStore(session);
  const [token, setToken] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  if (view === null) return null;
  if (view.writes === 'disabled') {
    return (
      <section aria-labelledby="signin-title">
        <h2 id="signin-title">Sign in</h2>
        <p class="note" role="note">
          Writes are disabled: this server has no credentials configured, so pause, resume and
          incident edits are refused. Set REMEDIATOR_WEBHOOK_TOKEN_FILE (or the basic-auth
          variables) and restart it.
        </p>
      </section>
    );
  }
  if (view.signedIn) {
    return (
      <section aria-labelledby="signin-title">
        <h2 id="signin-title">Signed in</h2>
        <p>
          As <strong>{view.name}</strong>, until <Time iso={view.expiresAt} />.{' '}
          <button
            type="button"
            onClick={() => {
              signOut().catch(setError);
            }}
          >
            Sign out
          </button>
        </p>
        <ErrorNote error={error} />
      </section>
    );
  }
  const basic = view.schemes.includes('basic') && !view.schemes.includes('bearer');
  const submit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    const credentials = basic ? { username, password } : { token };
    signIn({ ...credentials, ...(name.trim() === '' ? {} : { name }) }).then(
      () => {
        setBusy(false);
        setError(undefined);
        setToken('');
        setPassword('');
      },
      (err: unknown) => {
        setBusy(false);
        setError(err);
      },
    );
  };
  return (
    <section aria-labelledby="signin-title">
      <h2 id="signin-title">Sign in</h2>
      <p>
        With the credentials Alertmanager uses for the webhook. Reading needs none; pausing,
        resuming and editing incidents do.
      </p>
      <form class="signin" onSubmit={submit}>
        {basic ? (
          <>
            <label>
              User name
              <input
                autoComplete="username"
                value={username}
                onInput={(e) => setUsername(e.currentTarget.value)}
                required
              />
            </label>
            <label>
              Password
              <input
                type="password"
                autoComplete="current-password"
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
                required
              />
            </label>
          </>
        ) : (
          <label>
            Bearer token
            <input
              type="password"
              autoComplete="current-password"
              value={token}
              onInput={(e) => setToken(e.currentTarget.value)}
              required
            />
          </label>
        )}
        <label>
          Your name (for the timeline)
          <input
            autoComplete="name"
            maxLength={64}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <ErrorNote error={error} />
      </form>
    </section>
  );
}

function Pause() {
  const live = useStore(liveState);
  const view = useStore(session);
  const blocked = writeBlocked(view);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const toggle = () => {
    setBusy(true);
    send('POST', live.paused === true ? '/api/v1/resume' : '/api/v1/pause').then(
      () => {
        setBusy(false);
        setError(undefined);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err);
      },
    );
  };
  return (
    <section aria-labelledby="pause-title">
      <h2 id="pause-title">Remediation</h2>
      <p>
        {live.paused === null
          ? 'Connecting…'
          : live.paused
            ? 'Paused: plans are still made and journaled, no step runs until it resumes.'
            : 'Running: policies act on incidents as they come.'}
      </p>
      {blocked === undefined ? null : <p class="note">{blocked}</p>}
      <button
        type="button"
        class={live.paused === true ? 'primary' : 'danger'}
        disabled={blocked !== undefined || busy || live.paused === null}
        onClick={toggle}
      >
        {live.paused === true ? 'Resume remediation' : 'Pause remediation'}
      </button>
      <ErrorNote error={error} />
    </section>
  );
}

/** The policies in force: read-only, as validated (defaults filled in, sink URLs redacted). */
function Policies() {
  const [view, setView] = useState<PoliciesView | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    getJson<PoliciesView>('/api/v1/policies').then(setView, setError);
  }, []);
  return (
    <section aria-labelledby="policies-title">
      <h2 id="policies-title">Policies in force</h2>
      <ErrorNote error={error} />
      {view === undefined ? null : (
        <>
          <p>
            From <code>{view.source}</code>
            {view.digest === '' ? '' : ` (sha256 ${view.digest.slice(0, 12)})`}:{' '}
            {view.policies.length} policies.
          </p>
          {view.rejected.length === 0 ? null : (
            <div class="note" role="note">
              <p>The file on disk was rejected; the policies below stay in force:</p>
              <ul>
                {view.rejected.map((problem, i) => (
                  <li key={i}>{problem}</li>
                ))}
              </ul>
            </div>
          )}
          <ul class="policies">
            {view.policies.map((p) => (
              <li key={p.name}>
                <strong>{p.name}</strong>: {p.actions.join(' → ')}
                {p.description === null ? '' : ` — ${p.description}`}
              </li>
            ))}
          </ul>
          <details>
            <summary>The whole file, as validated (defaults filled in, sink URLs redacted)</summary>
            <pre class="yaml">{view.text}</pre>
          </details>
        </>
      )}
    </section>
  );
}

/** `remediator plan` in the browser: what the policies in force would do about a payload. */
function TryPayload() {
  const [text, setText] = useState(EXAMPLE_PAYLOAD);
  const [result, setResult] = useState<PlanPreviewView | undefined>();
  const [error, setError] = useState<unknown>();
  const submit = (event: Event) => {
    event.preventDefault();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      setError(new Error(`Not JSON: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    send<PlanPreviewView>('POST', '/api/v1/plan', body).then(
      (preview) => {
        setResult(preview);
        setError(undefined);
      },
      (err: unknown) => {
        setResult(undefined);
        setError(err);
      },
    );
  };
  return (
    <section aria-labelledby="try-title">
      <h2 id="try-title">Try a payload</h2>
      <p>
        Paste an Alertmanager webhook payload: the policies in force decide on it as the server
        would for a new group, and nothing is journaled or changed.
      </p>
      <form class="try" onSubmit={submit}>
        <label>
          Payload (JSON)
          <textarea
            rows={12}
            spellcheck={false}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Show the plan</button>
      </form>
      <ErrorNote error={error} />
      {result === undefined ? null : <PlanPreview preview={result} />}
    </section>
  );
}

function PlanPreview({ preview }: { preview: PlanPreviewView }) {
  return (
    <div class="preview" aria-live="polite">
      <h3>The plan</h3>
      {preview.incident === null ? (
        <p>No incident: nothing in the payload fires.</p>
      ) : (
        <p>
          An incident of severity <strong>{preview.incident.severity}</strong> (
          {preview.incident.severityReasons.join('; ') || 'default level'}), status{' '}
          {preview.incident.status}
          {preview.incident.heldOpen ? ', held open for a human' : ''}.
        </p>
      )}
      {preview.plan.length === 0 ? (
        <p>No policy acts.</p>
      ) : (
        <ol class="plan-preview">
          {preview.plan.map((entry, i) => (
            <li key={i}>
              <strong>{entry.policy}</strong>
              {entry.target === null ? '' : ` on ${entry.target.text}`}
              {entry.dryRun ? ' (dry run)' : ''}: {entry.steps.map((s) => s.action).join(' → ')}
              <JsonBlock value={entry.steps} />
            </li>
          ))}
        </ol>
      )}
      {preview.skips.length === 0 ? null : (
        <>
          <h4>Skipped</h4>
          <ul>
            {preview.skips.map((skip, i) => (
              <li key={i}>
                {skip.policy} ({skip.code}): {skip.reason}
              </li>
            ))}
          </ul>
        </>
      )}
      <h4>Timeline</h4>
      <ul>
        {preview.timeline.map((line, i) => (
          <li key={i}>{line}</li>
        ))}
      </ul>
    </div>
  );
}
