import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ApprovalAnswerView, ApprovalView, SeverityName } from '../../api/wire';
import { getJson, send } from '../api';
import { ErrorNote, SeverityBadge, Time } from '../components';
import { useLiveEvent } from '../live';
import { session, writeBlocked } from '../session';
import { useStore } from '../store';

/**
 * Plans waiting for a human: what each would change and why, with Approve and Deny. The answer
 * goes through the same API as `remediator approve`: an approval runs the step behind every
 * safety gate, checked again now (the answer shows what the step did, a gate's refusal
 * included); a denial writes nothing and escalates.
 */
export function ApprovalsPage() {
  const [approvals, setApprovals] = useState<readonly ApprovalView[] | undefined>();
  const [error, setError] = useState<unknown>();
  const [answers, setAnswers] = useState<readonly ApprovalAnswerView[]>([]);
  const reload = useCallback(() => {
    getJson<{ approvals: ApprovalView[] }>('/api/v1/approvals').then((view) => {
      setApprovals(view.approvals);
      setError(undefined);
    }, setError);
  }, []);
  useEffect(reload, [reload]);
  useLiveEvent('hello', reload);
  useLiveEvent('timeline', reload);
  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">Approvals</h1>
      <ErrorNote error={error} />
      {answers.map((a) => (
        <p key={`${a.plan}-${a.approval.state}`} class="note" role="status">
          Plan #{a.plan} {a.approval.state} by {a.approval.by ?? 'you'}
          {a.outcome === null ? '' : `: ${a.outcome}`}
        </p>
      ))}
      {approvals === undefined ? (
        <p>Loading…</p>
      ) : approvals.length === 0 ? (
        <p>No plan is waiting for approval.</p>
      ) : (
        approvals.map((a) => (
          <Request
            key={a.plan}
            approval={a}
            answered={(answer) => {
              setAnswers((list) => [answer, ...list].slice(0, 5));
              reload();
            }}
          />
        ))
      )}
    </section>
  );
}

function Request({
  approval,
  answered,
}: {
  approval: ApprovalView;
  answered: (answer: ApprovalAnswerView) => void;
}) {
  const view = useStore(session);
  const blocked = writeBlocked(view);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const titleId = `approval-${approval.plan}`;
  const answer = (verb: 'approve' | 'deny') => {
    setBusy(true);
    // The approver is the session's name, as the server knows it (`name (console)`).
    const body = comment.trim() === '' ? {} : { comment };
    send<ApprovalAnswerView>('POST', `/api/v1/plans/${approval.plan}/${verb}`, body).then(
      (result) => {
        setBusy(false);
        answered(result);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err);
      },
    );
  };
  return (
    <article class="approval" aria-labelledby={titleId}>
      <h2 id={titleId}>
        <SeverityBadge severity={approval.severity as SeverityName} /> Plan #{approval.plan} (policy{' '}
        {approval.policy}) on{' '}
        <a href={`/incidents/${approval.incident}`}>incident #{approval.incident}</a>
      </h2>
      <dl>
        <dt>Change</dt>
        <dd>
          <code>{approval.approval.change}</code>
          {approval.dryRun ? ' (dry run)' : ''}
        </dd>
        <dt>Steps</dt>
        <dd>
          <ol>
            {approval.steps.map((s, i) => (
              <li key={i}>{s.action}</li>
            ))}
          </ol>
        </dd>
        <dt>Why</dt>
        <dd>
          {approval.alerts}; {approval.severity}
          {approval.severityReasons.length === 0 ? '' : ` (${approval.severityReasons.join('; ')})`}
          ; {approval.why}
        </dd>
        <dt>Decide by</dt>
        <dd>
          <Time iso={approval.approval.deadline} /> (no answer by then denies it and escalates)
        </dd>
      </dl>
      {blocked === undefined ? null : <p class="note">{blocked}</p>}
      <label>
        Comment
        <input maxLength={500} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      </label>{' '}
      <button
        type="button"
        class="primary"
        disabled={blocked !== undefined || busy}
        onClick={() => answer('approve')}
      >
        Approve
      </button>{' '}
      <button
        type="button"
        class="danger"
        disabled={blocked !== undefined || busy}
        onClick={() => answer('deny')}
      >
        Deny
      </button>
      <ErrorNote error={error} />
    </article>
  );
}
