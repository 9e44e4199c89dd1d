/**
 * The journal's schema, as an append-only list of migrations: entry N takes the database from
 * `user_version` N to N+1. Never edit a released entry; add one. Times are epoch milliseconds,
 * label sets and reasons JSON text.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE incidents (
    id               INTEGER PRIMARY KEY,
    group_key        TEXT    NOT NULL,
    receiver         TEXT    NOT NULL,
    group_labels     TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    severity         INTEGER NOT NULL,
    severity_reasons TEXT    NOT NULL,
    opened_at        INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    resolved_at      INTEGER
  );
  -- At most one open incident per Alertmanager group.
  CREATE UNIQUE INDEX incidents_open_group ON incidents (group_key) WHERE resolved_at IS NULL;
  CREATE INDEX incidents_group ON incidents (group_key, id);
  CREATE INDEX incidents_resolved ON incidents (resolved_at) WHERE resolved_at IS NOT NULL;

  CREATE TABLE alerts (
    incident_id   INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    fingerprint   TEXT    NOT NULL,
    starts_at     TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    labels        TEXT    NOT NULL,
    annotations   TEXT    NOT NULL,
    ends_at       TEXT    NOT NULL,
    generator_url TEXT    NOT NULL,
    first_seen_at INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    resolved_at   INTEGER,
    PRIMARY KEY (incident_id, fingerprint, starts_at)
  ) WITHOUT ROWID;

  CREATE TABLE timeline (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    data        TEXT
  );
  CREATE INDEX timeline_incident ON timeline (incident_id, id);
  `,
  `
  -- Remediation plans: one row per policy, trigger and target. Planned ones are also indexed by
  -- alert instance in plan_alerts, so an instance is planned at most once per policy and trigger.
  CREATE TABLE plans (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    policy      TEXT    NOT NULL,
    trigger     TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    alerts      TEXT    NOT NULL,
    target      TEXT,
    steps       TEXT    NOT NULL,
    dry_run     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
  );
  CREATE INDEX plans_incident ON plans (incident_id, id);

  CREATE TABLE plan_alerts (
    policy      TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    starts_at   TEXT    NOT NULL,
    trigger     TEXT    NOT NULL,
    plan_id     INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    PRIMARY KEY (policy, fingerprint, starts_at, trigger)
  ) WITHOUT ROWID;
  CREATE INDEX plan_alerts_plan ON plan_alerts (plan_id);


  -- Why the incident must wait for a human to resolve it (a policy with autoResolve: false).
  ALTER TABLE incidents ADD COLUMN hold_open TEXT;
  `,
  `
  -- Each step a plan runs: the intent is committed before the write, the result after it, so a
  -- restart that finds an intent without a result knows to reconcile instead of writing blindly.
  CREATE TABLE remediations (
    id           INTEGER PRIMARY KEY,
    plan_id      INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    incident_id  INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    policy       TEXT    NOT NULL,
    step         INTEGER NOT NULL,
    action       TEXT    NOT NULL,
    target       TEXT,
    status       TEXT    NOT NULL,
    reason       TEXT,
    summary      TEXT,
    intent       TEXT,
    result       TEXT,
    dry_run      INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    verify_until INTEGER,
    verification TEXT
  );
  CREATE INDEX remediations_plan ON remediations (plan_id, id);
  CREATE INDEX remediations_open ON remediations (status) WHERE status IN ('intent', 'verifying');

  ALTER TABLE plans ADD COLUMN current_step INTEGER NOT NULL DEFAULT 0;
  -- The policy's cooldown and budget as they were when the plan was made (JSON).
  ALTER TABLE plans ADD COLUMN gates TEXT;

  -- Process-wide switches that must survive a restart (the global pause).
  CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );

  -- Per-policy circuit breakers.
  CREATE TABLE circuits (
    policy     TEXT PRIMARY KEY,
    state      TEXT NOT NULL
  );

  -- The post-incident fields a human fills in through the API.
  ALTER TABLE incidents ADD COLUMN root_cause TEXT;
  ALTER TABLE incidents ADD COLUMN prevention TEXT;

  -- Resolution notices sent, one per incident and sink.
  CREATE TABLE resolution_notices (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    sink        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (incident_id, sink)
  ) WITHOUT ROWID;

  -- Escalations sent, so that a ladder's rung is notified once per incident.
  CREATE TABLE escalations (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    ladder      TEXT    NOT NULL,
    rung        INTEGER NOT NULL,
    sink        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    PRIMARY KEY (incident_id, ladder, rung)
  ) WITHOUT ROWID;
  `,
  `
  -- The sending Alertmanager's externalURL, for the console's links to it.
  ALTER TABLE incidents ADD COLUMN external_url TEXT;
  `,
  `
  -- The notification log: every notification the webhook accepted, as received, in order. The
  -- webhook's durable work is one row here; incidents, alerts, plans and timelines are a
  -- projection folded from it (pipeline/projector.ts), which records in settings
  -- ('log_applied_seq') how far it got. A notification goes with the incident it fed (retention
  -- deletes that incident); one that fed none is pruned by age once applied.
  CREATE TABLE notifications (
    seq         INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    incident_id INTEGER REFERENCES incidents (id) ON DELETE CASCADE
  );
  CREATE INDEX notifications_received ON notifications (received_at);
  CREATE INDEX notifications_incident ON notifications (incident_id) WHERE incident_id IS NOT NULL;
  `,
  `
  -- Alertmanager silences a plan created while it worked (policy \`silence\`), until it lifted
  -- them: the plan's end expires those not lifted yet.
  CREATE TABLE silences (
    id         TEXT    PRIMARY KEY,
    plan_id    INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    alertname  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    lifted_at  INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX silences_plan ON silences (plan_id);
  `,
  `
  -- Human approval (policy \`approval\`): the request and its answer (JSON: the step it is
  -- for, the change asked about, who answered, when and with which comment), and, while the plan
  -- is awaiting_approval, when the request times out: a restart resumes the wait from here.
  ALTER TABLE plans ADD COLUMN approval TEXT;
  ALTER TABLE plans ADD COLUMN approval_deadline INTEGER;
  CREATE INDEX plans_awaiting_approval ON plans (approval_deadline) WHERE status = 'awaiting_approval';
  `,
];
