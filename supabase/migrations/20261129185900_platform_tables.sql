-- The public tables the platform's app and dashboard use, with the seed's column names: system_alerts (with the
-- alert lifecycle) and the telemetry the rules read. RLS on every one: admins read; the app inserts only its own
-- rows. A table that already exists must have the columns supalert reads, or this migration stops naming them.

select monitoring.require_columns(
    'public.system_alerts',
    array[
        'id', 'alert_type', 'title', 'message', 'severity', 'metadata', 'created_at', 'dismissed', 'is_read',
        'status', 'fingerprint', 'occurrences', 'last_seen_at', 'resolved_at', 'acknowledged_at', 'acknowledged_by'
    ]
);

create table if not exists public.system_alerts (
    id uuid primary key default gen_random_uuid(),
    alert_type text not null,
    title text not null,
    message text not null default '',
    severity text not null,
    metadata jsonb not null default '{}',
    created_at timestamptz not null default now(),
    -- The seed's two flags, kept equal to (status <> 'firing') by monitoring.system_alerts_sync_flags().
    dismissed boolean not null default false,
    is_read boolean not null default false,
    status text not null default 'firing',
    fingerprint text not null default '',
    occurrences integer not null default 1,
    last_seen_at timestamptz not null default now(),
    resolved_at timestamptz,
    acknowledged_at timestamptz,
    acknowledged_by text,
    constraint system_alerts_severity_known check (severity in ('critical', 'high', 'warning', 'info')),
    constraint system_alerts_status_known check (status in ('firing', 'acknowledged', 'resolved')),
    constraint system_alerts_occurrences_positive check (occurrences >= 1),
    constraint system_alerts_resolved_at_iff_resolved check ((status = 'resolved') = (resolved_at is not null)),
    constraint system_alerts_flags_follow_status check (dismissed = (status <> 'firing') and is_read = dismissed)
);
comment on table public.system_alerts is
'One row per incident (rule + fingerprint), written only by monitoring.evaluate(). Open while resolved_at is null.';

-- One open alert per (rule, fingerprint): the engine updates it instead of inserting a duplicate.
create unique index if not exists system_alerts_one_open_per_fingerprint
on public.system_alerts (alert_type, fingerprint) where resolved_at is null;
create index if not exists system_alerts_created_at on public.system_alerts (created_at desc);

create or replace trigger system_alerts_sync_flags
before insert or update on public.system_alerts
for each row execute function monitoring.system_alerts_sync_flags();

select monitoring.require_columns(
    'public.error_logs',
    array['id', 'severity', 'category', 'message', 'function_name', 'error_details', 'occurred_at', 'user_id']
);

create table if not exists public.error_logs (
    id bigint generated always as identity primary key,
    severity text not null,
    category text,
    message text not null,
    function_name text,
    error_details jsonb not null default '{}',
    occurred_at timestamptz not null default now(),
    user_id uuid default auth.uid(),
    constraint error_logs_severity_known check (severity in ('critical', 'high', 'warning', 'info'))
);
-- Rules read a time window: these let them touch only its rows (partitioning and BRIN come with the
-- performance work).
create index if not exists error_logs_occurred_at on public.error_logs (occurred_at);

comment on table public.error_logs is
'Application errors. Edge functions insert as service_role; a signed-in user may insert rows for itself.';

select monitoring.require_columns(
    'public.performance_metrics',
    array['id', 'metric_type', 'metric_name', 'duration_ms', 'metadata', 'client_id', 'recorded_at', 'user_id']
);

create table if not exists public.performance_metrics (
    id bigint generated always as identity primary key,
    metric_type text not null,
    metric_name text not null,
    duration_ms integer not null,
    metadata jsonb,
    client_id uuid,
    recorded_at timestamptz not null default now(),
    user_id uuid default auth.uid(),
    constraint performance_metrics_duration_not_negative check (duration_ms >= 0)
);
create index if not exists performance_metrics_type_recorded_at
on public.performance_metrics (metric_type, recorded_at);

comment on table public.performance_metrics is
'Timings: metric_type edge_function (written by edge functions) or page_load (written by browsers, own rows).';

select monitoring.require_columns(
    'public.sms_delivery_log',
    array['id', 'delivery_status', 'created_at']
);

create table if not exists public.sms_delivery_log (
    id bigint generated always as identity primary key,
    delivery_status text not null,
    phone_number text,
    provider_message_id text,
    error_message text,
    client_id uuid,
    created_at timestamptz not null default now()
);
create index if not exists sms_delivery_log_created_at on public.sms_delivery_log (created_at);

comment on table public.sms_delivery_log is
'One row per SMS sent by the platform; delivery_status failed counts as a failure. Written by the server only.';

select monitoring.require_columns(
    'public.user_sessions',
    array['id', 'user_id', 'started_at', 'last_active_at']
);

create table if not exists public.user_sessions (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid(),
    started_at timestamptz not null default now(),
    last_active_at timestamptz not null default now(),
    user_agent text
);
create index if not exists user_sessions_last_active_at on public.user_sessions (last_active_at);
create index if not exists user_sessions_user_id on public.user_sessions (user_id);

comment on table public.user_sessions is
'One row per signed-in session; the app bumps last_active_at. Active users = last_active_at in the last 15 min.';

-- Supabase's default privileges give anon and authenticated everything on new public tables: take it back and
-- grant the minimum. RLS decides the rows.
revoke all on table public.system_alerts, public.error_logs, public.performance_metrics, public.sms_delivery_log,
public.user_sessions from anon, authenticated;

alter table public.system_alerts enable row level security;
alter table public.error_logs enable row level security;
alter table public.performance_metrics enable row level security;
alter table public.sms_delivery_log enable row level security;
alter table public.user_sessions enable row level security;

grant select on table public.system_alerts to authenticated;
create policy admins_read_alerts on public.system_alerts
for select to authenticated using ((select monitoring.is_admin()));

grant select, insert on table public.error_logs to authenticated;
create policy admins_read_errors on public.error_logs
for select to authenticated using ((select monitoring.is_admin()));
create policy users_insert_own_errors on public.error_logs
for insert to authenticated with check (user_id = (select auth.uid()));

grant select, insert on table public.performance_metrics to authenticated;
create policy admins_read_metrics on public.performance_metrics
for select to authenticated using ((select monitoring.is_admin()));
-- Browsers report page loads for themselves; edge-function timings come from the server (service_role) only.
create policy users_insert_own_page_loads on public.performance_metrics
for insert to authenticated with check (metric_type = 'page_load' and user_id = (select auth.uid()));

grant select on table public.sms_delivery_log to authenticated;
create policy admins_read_sms_log on public.sms_delivery_log
for select to authenticated using ((select monitoring.is_admin()));

grant select, insert on table public.user_sessions to authenticated;
grant update (last_active_at, user_agent) on table public.user_sessions to authenticated;
create policy own_or_admin_read_sessions on public.user_sessions
for select to authenticated using (user_id = (select auth.uid()) or (select monitoring.is_admin()));
create policy users_insert_own_sessions on public.user_sessions
for insert to authenticated with check (user_id = (select auth.uid()));
create policy users_update_own_sessions on public.user_sessions
for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));

-- Sources of the remaining seed thresholds, shaped like the tables above. Written by the server (service_role);
-- admins read them. Each may already exist in the platform: then it must have these columns.

select monitoring.require_columns(
    'public.email_delivery_log',
    array['id', 'delivery_status', 'created_at']
);

create table if not exists public.email_delivery_log (
    id bigint generated always as identity primary key,
    delivery_status text not null,
    recipient text,
    provider_message_id text,
    error_message text,
    client_id uuid,
    created_at timestamptz not null default now()
);
create index if not exists email_delivery_log_created_at on public.email_delivery_log (created_at);
comment on table public.email_delivery_log is
'One row per email sent by the platform (like sms_delivery_log); delivery_status failed counts as a failure.';

-- The documented source of low_credit_balance: one row per client with its current balance. The platform keeps it
-- current (a trigger on its ledger, or an UPSERT wherever the balance changes).
select monitoring.require_columns(
    'public.client_credits',
    array['client_id', 'balance', 'updated_at']
);

create table if not exists public.client_credits (
    client_id uuid primary key,
    client_name text,
    balance numeric not null,
    updated_at timestamptz not null default now()
);
comment on table public.client_credits is
'Current credit balance per client (the source of the per-client low_credit_balance rule).';

select monitoring.require_columns(
    'public.gift_card_provisions',
    array['id', 'status', 'created_at']
);

create table if not exists public.gift_card_provisions (
    id bigint generated always as identity primary key,
    client_id uuid,
    status text not null,
    error_message text,
    created_at timestamptz not null default now()
);
create index if not exists gift_card_provisions_created_at on public.gift_card_provisions (created_at);
comment on table public.gift_card_provisions is
'One row per gift-card provisioning attempt; status failed counts as a failure.';

-- The table the seed's daily cleanup_rate_limit_logs() job cleans: one row per rate-limited request.
select monitoring.require_columns(
    'public.rate_limit_log',
    array['id', 'identifier', 'created_at']
);

create table if not exists public.rate_limit_log (
    id bigint generated always as identity primary key,
    identifier text not null,
    endpoint text,
    created_at timestamptz not null default now()
);
create index if not exists rate_limit_log_created_at on public.rate_limit_log (created_at);
comment on table public.rate_limit_log is
'Requests seen by the platform''s rate limiter; kept a short time (monitoring.retention_policies).';

revoke all on table public.email_delivery_log, public.client_credits, public.gift_card_provisions,
public.rate_limit_log from anon, authenticated;
alter table public.email_delivery_log enable row level security;
alter table public.client_credits enable row level security;
alter table public.gift_card_provisions enable row level security;
alter table public.rate_limit_log enable row level security;
grant select on table public.email_delivery_log, public.client_credits, public.gift_card_provisions,
public.rate_limit_log to authenticated;
create policy admins_read_email_log on public.email_delivery_log
for select to authenticated using ((select monitoring.is_admin()));
create policy admins_read_credits on public.client_credits
for select to authenticated using ((select monitoring.is_admin()));
create policy admins_read_gift_cards on public.gift_card_provisions
for select to authenticated using ((select monitoring.is_admin()));
create policy admins_read_rate_limits on public.rate_limit_log
for select to authenticated using ((select monitoring.is_admin()));
