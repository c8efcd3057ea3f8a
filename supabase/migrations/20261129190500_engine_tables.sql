-- The rule engine's tables: rules (thresholds are data), per-series state, the run log, the heartbeat, silences.
-- All private to the monitoring schema; only supalert's functions touch them.

create table if not exists monitoring.rules (
    key text primary key,
    title text not null,
    description text not null default '',
    -- 'metric': evaluated by monitoring.evaluate() through metric_function. 'engine': raised by the engine itself
    -- (rule_error), never evaluated; it exists so severity, routing and repeat settings are data like any rule's.
    kind text not null default 'metric',
    -- A function monitoring.<metric_function>(monitoring.rules, timestamptz) returning
    -- table (value numeric, labels jsonb, detail jsonb, no_data boolean); checked by a trigger.
    metric_function text,
    params jsonb not null default '{}',
    comparison text not null default '>',
    threshold numeric not null,
    -- Hysteresis: a firing alert resolves only once the value is back past this (null: the threshold itself).
    resolve_threshold numeric,
    time_window interval not null default interval '1 hour',
    severity text not null,
    evaluations_before_firing integer not null default 1,
    repeat_interval interval not null default interval '4 hours',
    evaluation_interval interval not null default interval '1 minute',
    -- What a run with no data does to an open alert or a pending series: keep it (default), resolve it, or alert.
    on_no_data text not null default 'keep',
    enabled boolean not null default true,
    runbook_url text,
    labels jsonb not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint rules_key_format check (key ~ '^[a-z][a-z0-9_]{0,62}$'),
    constraint rules_title_not_blank check (btrim(title) <> ''),
    constraint rules_kind_known check (kind in ('metric', 'engine')),
    constraint rules_metric_function_format check (metric_function ~ '^[a-z_][a-z0-9_]{0,62}$'),
    constraint rules_metric_function_required check (kind = 'engine' or metric_function is not null or not enabled),
    constraint rules_params_object check (jsonb_typeof(params) = 'object'),
    constraint rules_comparison_known check (comparison in ('>', '>=', '<', '<=')),
    constraint rules_resolve_threshold_on_safe_side check (
        resolve_threshold is null
        or (comparison in ('>', '>=') and resolve_threshold <= threshold)
        or (comparison in ('<', '<=') and resolve_threshold >= threshold)
    ),
    constraint rules_time_window_positive check (time_window > interval '0'),
    constraint rules_severity_known check (severity in ('critical', 'high', 'warning', 'info')),
    constraint rules_evaluations_before_firing_positive check (evaluations_before_firing between 1 and 1000),
    constraint rules_repeat_interval_positive check (repeat_interval > interval '0'),
    constraint rules_evaluation_interval_at_least_a_minute check (evaluation_interval >= interval '1 minute'),
    constraint rules_on_no_data_known check (on_no_data in ('keep', 'resolve', 'alert')),
    constraint rules_runbook_url_http check (runbook_url ~ '^https?://'),
    constraint rules_labels_object check (jsonb_typeof(labels) = 'object')
);
comment on table monitoring.rules is
'One row per alert rule. Change a threshold with UPDATE; monitoring.evaluate() reads these on every run.';

-- Per (rule, fingerprint) memory between runs: consecutive breaches for the pending state, the last value seen.
-- The open alert itself lives in public.system_alerts (one per rule and fingerprint, by a unique index).
create table if not exists monitoring.rule_state (
    rule_key text not null references monitoring.rules (key) on delete cascade,
    fingerprint text not null,
    labels jsonb not null default '{}',
    consecutive_breaches integer not null default 0,
    pending_since timestamptz,
    last_value numeric,
    last_state text not null,
    last_evaluated_at timestamptz not null,
    primary key (rule_key, fingerprint)
);
comment on table monitoring.rule_state is
'Per rule and series: breaches in a row (pending), last value and state. Written only by monitoring.evaluate().';

create table if not exists monitoring.rule_runs (
    id bigint generated always as identity primary key,
    rule_key text not null references monitoring.rules (key) on delete cascade,
    evaluated_at timestamptz not null,
    outcome text not null,
    series integer not null default 0,
    value numeric,
    duration_ms numeric not null,
    error text,
    sqlstate text,
    constraint rule_runs_outcome_known check (outcome in ('ok', 'no_data', 'error'))
);
create index if not exists rule_runs_rule_key_evaluated_at on monitoring.rule_runs (rule_key, evaluated_at desc);
comment on table monitoring.rule_runs is
'Check-run log: one row per rule evaluation, with the error when the metric function raised.';

create table if not exists monitoring.heartbeat (
    id boolean primary key default true,
    last_evaluated_at timestamptz not null,
    completed_at timestamptz not null,
    duration_ms numeric not null,
    rules_evaluated integer not null,
    rules_failed integer not null,
    constraint heartbeat_single_row check (id)
);
comment on table monitoring.heartbeat is
'The last complete evaluation of all due rules. Watchers outside the database alarm when it grows stale.';

create table if not exists monitoring.silences (
    id uuid primary key default gen_random_uuid(),
    rule_key text references monitoring.rules (key) on delete cascade,
    severity text,
    -- The alert's labels must contain these (jsonb @>); {} matches any labels.
    labels jsonb not null default '{}',
    starts_at timestamptz not null default now(),
    ends_at timestamptz not null,
    created_by text not null,
    comment text not null,
    created_at timestamptz not null default now(),
    constraint silences_ends_after_start check (ends_at > starts_at),
    constraint silences_severity_known check (severity in ('critical', 'high', 'warning', 'info')),
    constraint silences_labels_object check (jsonb_typeof(labels) = 'object'),
    constraint silences_comment_not_blank check (btrim(comment) <> ''),
    constraint silences_match_something check (rule_key is not null or severity is not null or labels <> '{}')
);
create index if not exists silences_ends_at on monitoring.silences (ends_at);
comment on table monitoring.silences is
'Silences stop notifications for matching alerts between starts_at and ends_at; alerts are still recorded.';

revoke all on table monitoring.rules, monitoring.rule_state, monitoring.rule_runs, monitoring.heartbeat,
monitoring.silences from public, anon, authenticated;

-- Which channels hear about which alerts. Every enabled route that matches an alert adds its channels (a union:
-- critical -> email + Slack + SMS needs one row, not three). Editable as data.
create table if not exists monitoring.routes (
    id bigint generated always as identity primary key,
    name text not null unique,
    -- Matchers; null (or {} for labels) matches anything. The alert's labels must contain `labels`.
    severity text,
    rule_key text references monitoring.rules (key) on delete cascade,
    labels jsonb not null default '{}',
    channels text[] not null,
    -- Hold these notifications for the daily digest email instead of sending each at once.
    digest boolean not null default false,
    send_resolved boolean not null default true,
    enabled boolean not null default true,
    constraint routes_severity_known check (severity in ('critical', 'high', 'warning', 'info')),
    constraint routes_labels_object check (jsonb_typeof(labels) = 'object'),
    constraint routes_channels_known check (
        cardinality(channels) > 0 and channels <@ array['email', 'slack', 'sms']::text[]
    )
);
comment on table monitoring.routes is
'Routing: an alert goes to the union of the channels of every enabled route it matches (severity, rule, labels).';

-- The transactional outbox: rows written in the same transaction as the alert change they announce, so a
-- committed firing or resolve can never be lost; dispatchers claim them with FOR UPDATE SKIP LOCKED.
create table if not exists monitoring.notifications (
    id uuid primary key default gen_random_uuid(),
    alert_id uuid references public.system_alerts (id) on delete cascade,
    event text not null,
    channel text not null,
    status text not null default 'pending',
    -- A snapshot of the alert as it was when the event happened; renderers need nothing else.
    payload jsonb not null,
    -- Sent to Resend as Idempotency-Key, so a retry after a crash never emails twice.
    idempotency_key text not null unique,
    -- Recipients (SMS numbers, email chunks) already served: a retry sends only to the others.
    delivered_to text[] not null default '{}',
    attempts integer not null default 0,
    max_attempts integer not null default 8,
    next_attempt_at timestamptz not null default now(),
    lease_until timestamptz,
    claimed_by text,
    last_status_code integer,
    last_error text,
    provider_id text,
    silenced_by uuid references monitoring.silences (id) on delete set null,
    digest_id uuid references monitoring.notifications (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    sent_at timestamptz,
    constraint notifications_event_known check (event in ('firing', 'repeat', 'resolved', 'test', 'digest')),
    constraint notifications_channel_known check (channel in ('email', 'slack', 'sms')),
    constraint notifications_status_known check (
        status in ('pending', 'sending', 'sent', 'suppressed', 'held', 'digested', 'dead')
    ),
    constraint notifications_attempts_in_range check (attempts >= 0 and max_attempts between 1 and 100)
);
create index if not exists notifications_due on monitoring.notifications (next_attempt_at) where status = 'pending';
create index if not exists notifications_leased on monitoring.notifications (lease_until) where status = 'sending';
create index if not exists notifications_alert_id on monitoring.notifications (alert_id, event);
create index if not exists notifications_held on monitoring.notifications (channel) where status = 'held';
comment on table monitoring.notifications is
'Outbox: one row per (alert event, channel). pending -> sending -> sent | pending (retry) | dead; or suppressed '
'(silenced), held -> digested (daily digest).';

revoke all on table monitoring.routes, monitoring.notifications from public, anon, authenticated;

-- Readings SQL cannot make itself (bandwidth lives in Supabase's billing, not in the database): whatever can see
-- them records them here, e.g. `python deploy.py usage record bandwidth_gb_month 12.5`.
create table if not exists monitoring.usage_samples (
    id bigint generated always as identity primary key,
    metric text not null,
    value numeric not null,
    sampled_at timestamptz not null default now(),
    constraint usage_samples_metric_format check (metric ~ '^[a-z][a-z0-9_]{0,62}$')
);
create index if not exists usage_samples_metric_sampled_at on monitoring.usage_samples (metric, sampled_at desc);
comment on table monitoring.usage_samples is
'Usage readings from outside SQL (bandwidth): metric, value, sampled_at. The usage rules read the newest.';

-- Backups as far as SQL can know them: whatever runs or checks backups records them here
-- (`python deploy.py backups record`); monitoring.verify_latest_backup() alerts when the newest verified one is old.
create table if not exists monitoring.backup_log (
    id bigint generated always as identity primary key,
    kind text not null default 'full',
    finished_at timestamptz not null,
    verified boolean not null default true,
    size_bytes bigint,
    location text,
    note text,
    recorded_at timestamptz not null default now(),
    recorded_by text not null default current_user,
    constraint backup_log_kind_known check (kind in ('full', 'incremental', 'wal', 'pitr', 'logical'))
);
create index if not exists backup_log_finished_at on monitoring.backup_log (finished_at desc) where verified;
comment on table monitoring.backup_log is
'Backups recorded by a backup job or deploy.py backups record; the backup_stale rule reads the newest verified.';

-- How long each table keeps its rows. monitoring.apply_retention() deletes in small batches, committing between
-- them, so no lock is held for long.
create table if not exists monitoring.retention_policies (
    table_name text primary key,
    time_column text not null,
    keep interval not null,
    -- Extra condition a row must meet to be deleted (SQL over the table's columns), e.g. only resolved alerts.
    only_where text,
    batch_size integer not null default 5000,
    enabled boolean not null default true,
    constraint retention_policies_keep_positive check (keep > interval '0'),
    constraint retention_policies_batch_size_positive check (batch_size between 1 and 100000),
    constraint retention_policies_table_format check (table_name ~ '^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$'),
    constraint retention_policies_time_column_format check (time_column ~ '^[a-z_][a-z0-9_]*$')
);
comment on table monitoring.retention_policies is
'Retention per table: rows older than keep (by time_column, and meeting only_where) are deleted in batches.';

create table if not exists monitoring.retention_runs (
    id bigint generated always as identity primary key,
    table_name text not null,
    deleted bigint not null,
    batches integer not null,
    ran_at timestamptz not null default now()
);
comment on table monitoring.retention_runs is 'One row per table per retention run: rows deleted, batches used.';

revoke all on table monitoring.usage_samples, monitoring.backup_log, monitoring.retention_policies,
monitoring.retention_runs from public, anon, authenticated;
