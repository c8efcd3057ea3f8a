-- 20261206193958_alert_types: written by `python deploy.py new-migration alert_types`.
-- Blocks between supalert:source and supalert:end are copies of sql/ and of the rules/ definitions; change
-- those and generate a new migration instead of editing them. Hand-written statements may go above or
-- below the blocks.

-- Alert types, as the seed's Alert Types table has them: every rule belongs to one (monitoring.rules.alert_type),
-- and routes match on it. The type's severity is the seed's for it (a rule keeps its own); its response time is
-- the acknowledgement deadline (null: the daily digest); its channels are its route's.
create table if not exists monitoring.alert_types (
    key text primary key,
    title text not null,
    severity text not null references monitoring.severities (severity),
    response_time interval,
    channels text[] not null,
    digest boolean not null default false,
    description text not null default '',
    constraint alert_types_key_format check (key ~ '^[a-z][a-z0-9_]{0,62}$'),
    constraint alert_types_channels_known check (
        cardinality(channels) > 0 and channels <@ array['email', 'slack', 'sms']::text[]
    ),
    constraint alert_types_response_time_not_negative check (response_time >= interval '0')
);
comment on table monitoring.alert_types is
'The seed''s Alert Types: severity, response time and channels; each rule belongs to one and routes match on it.';
alter table monitoring.alert_types enable row level security;
revoke all on monitoring.alert_types from anon, authenticated;

insert into monitoring.alert_types (key, title, severity, response_time, channels, digest, description) values
(
    'database_down', 'Database Down', 'critical', interval '0', '{email,slack,sms}', false,
    'The database, or supalert watching it, is down: respond immediately.'
),
(
    'high_error_rate', 'High Error Rate', 'critical', interval '15 minutes', '{email,slack}', false,
    'Errors above their normal rate, and the engine''s own failures (a rule failing, notifications dying).'
),
(
    'slow_performance', 'Slow Performance', 'high', interval '1 hour', '{email,slack}', false,
    'Edge functions or pages slower than their thresholds.'
),
(
    'low_inventory', 'Low Inventory', 'high', interval '2 hours', '{email}', false,
    'A supply running low: client credit, gift-card provisioning, backup freshness.'
),
(
    'failed_sms', 'Failed SMS', 'warning', interval '4 hours', '{email}', false,
    'Messages to users failing: SMS failures and bounces, failed emails.'
),
(
    'high_usage', 'High Usage', 'info', null, '{email}', true,
    'Usage near a plan limit (database size, function calls, bandwidth, concurrent users): the daily digest.'
)
on conflict (key) do nothing;

-- Every rule's type. The rules table holds a few dozen rows: the reference's check under its lock is instant.
-- The rule files' inserts below reach only databases without the rule; this update is what installed ones get.
alter table monitoring.rules add column if not exists alert_type text
-- squawk-ignore adding-foreign-key-constraint
constraint rules_alert_type_known references monitoring.alert_types (key);
update monitoring.rules as r set alert_type = m.alert_type
from (
    values
    ('critical_errors_per_hour', 'high_error_rate'), ('high_errors_per_hour', 'high_error_rate'),
    ('error_rate_percentage', 'high_error_rate'), ('rule_error', 'high_error_rate'),
    ('notification_dead', 'high_error_rate'), ('slow_response_time_ms', 'slow_performance'),
    ('very_slow_response_time_ms', 'slow_performance'), ('page_load_time_ms', 'slow_performance'),
    ('low_credit_balance', 'low_inventory'), ('failed_gift_card_provisions', 'low_inventory'),
    ('backup_stale', 'low_inventory'), ('failed_sms_per_hour', 'failed_sms'), ('sms_bounce_rate', 'failed_sms'),
    ('failed_emails_per_hour', 'failed_sms'), ('database_size_gb', 'high_usage'),
    ('function_calls_per_day', 'high_usage'), ('bandwidth_gb_per_month', 'high_usage'),
    ('concurrent_users_threshold', 'high_usage'), ('monitor_down', 'database_down')
) as m (key, alert_type)
where r.key = m.key and r.alert_type is null;

-- Routes match on the type; the seeded severity routes now serve only alerts without one (an app's own). The
-- routes table is as small.
alter table monitoring.routes add column if not exists alert_type text
-- squawk-ignore adding-foreign-key-constraint
references monitoring.alert_types (key) on delete cascade;
alter table monitoring.routes add column if not exists untyped_only boolean not null default false;
update monitoring.routes set untyped_only = true
where name in (
    'critical: email, Slack and SMS', 'high: email and Slack', 'warning: email', 'info: daily digest email'
);
insert into monitoring.routes (name, alert_type, channels, digest)
select
    'type: ' || t.title as name,
    t.key,
    t.channels,
    t.digest
from monitoring.alert_types as t
on conflict (name) do nothing;

-- supalert:source sql/outbox/enqueue_notifications.sql sha256=9c3b3f5667c6eb176036918cb5f71b400fe0d91ed23c1b9a3ded618cf576230a
-- monitoring.enqueue_notifications(alert id, event, now): returns the number of outbox rows written.
-- Writes one monitoring.notifications row per channel that the enabled routes matching the alert choose, in the
-- caller's transaction (the one that changed the alert), so the notification commits or rolls back with it. A
-- route matches on alert type (its rule's, monitoring.alert_types), severity, rule and labels; a route marked
-- untyped_only (the seeded severity routes) serves only alerts without a type, such as an app's own:
--   - a silence matching the alert (rule, severity, labels) at p_now records the rows as suppressed;
--   - a digest route holds them for the daily digest (a test event is always sent at once);
--   - a resolve goes only to channels that were told about the firing, and only on routes with send_resolved;
--   - a notification_dead alert never goes to the channel that is failing;
--   - the resolve of an inhibiting alert tells, with a firing now, every target that is still firing and was
--     told nothing because of it (monitoring.inhibitions; claim_notifications decides inhibition).
-- Engine only (apply_observation, resolve_alert, notify).
create or replace function monitoring.enqueue_notifications(p_alert_id uuid, p_event text, p_now timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_alert public.system_alerts;
    v_labels jsonb;
    v_silence uuid;
    v_channel text;
    v_digest boolean;
    v_written integer := 0;
    v_payload jsonb;
    v_target uuid;
    v_type text;
begin
    select a.* into v_alert from public.system_alerts as a where a.id = p_alert_id;
    if not found then
        raise exception 'alert % not found', p_alert_id using errcode = 'no_data_found';
    end if;
    v_labels := coalesce(v_alert.metadata -> 'labels', '{}'::jsonb);
    select r.alert_type into v_type from monitoring.rules as r where r.key = v_alert.alert_type;

    select s.id
      into v_silence
      from monitoring.silences as s
     where s.starts_at <= p_now and s.ends_at > p_now
       and (s.rule_key is null or s.rule_key = v_alert.alert_type)
       and (s.severity is null or s.severity = v_alert.severity)
       and v_labels @> s.labels
     order by s.ends_at desc
     limit 1;

    v_payload := pg_catalog.jsonb_build_object(
        'alert_id', v_alert.id,
        'rule', v_alert.alert_type,
        'title', v_alert.title,
        'message', v_alert.message,
        'severity', v_alert.severity,
        'status', v_alert.status,
        'event', p_event,
        'labels', v_labels,
        'occurrences', v_alert.occurrences,
        'created_at', v_alert.created_at,
        'resolved_at', v_alert.resolved_at,
        'runbook_url', v_alert.metadata ->> 'runbook_url',
        'metadata', v_alert.metadata
    );

    for v_channel, v_digest in
        select c.channel, pg_catalog.bool_and(r.digest)
          from monitoring.routes as r
         cross join lateral pg_catalog.unnest(r.channels) as c (channel)
         where r.enabled
           and (r.alert_type is null or r.alert_type = v_type)
           and not (r.untyped_only and v_type is not null)
           and (r.severity is null or r.severity = v_alert.severity)
           and (r.rule_key is null or r.rule_key = v_alert.alert_type)
           and v_labels @> r.labels
           and (p_event <> 'resolved' or r.send_resolved)
         group by c.channel
         order by c.channel
    loop
        continue when v_alert.alert_type = 'notification_dead' and v_channel = v_labels ->> 'channel';
        continue when p_event = 'resolved' and not exists (
            select from monitoring.notifications as n
             where n.alert_id = p_alert_id and n.channel = v_channel and n.event in ('firing', 'repeat')
               and n.status in ('pending', 'sending', 'sent', 'held', 'digested')
        );
        insert into monitoring.notifications (
            alert_id, event, channel, status, payload, idempotency_key, next_attempt_at, silenced_by, created_at,
            updated_at
        ) values (
            p_alert_id, p_event, v_channel,
            case
                when v_silence is not null then 'suppressed'
                when v_digest and p_event <> 'test' then 'held'
                else 'pending'
            end,
            v_payload,
            'supalert-' || pg_catalog.gen_random_uuid()::text,
            p_now, v_silence, p_now, p_now
        );
        v_written := v_written + 1;
    end loop;
    if p_event = 'resolved' then
        for v_target in
            select distinct n.alert_id
              from monitoring.notifications as n
              join public.system_alerts as t on t.id = n.alert_id
             where n.inhibited_by = p_alert_id and t.status = 'firing'
               and not exists (
                   select from monitoring.notifications as m
                    where m.alert_id = n.alert_id and m.event in ('firing', 'repeat')
                      and m.status in ('pending', 'sending', 'sent', 'held', 'digested')
               )
        loop
            perform monitoring.enqueue_notifications(v_target, 'firing', p_now);
        end loop;
    end if;
    return v_written;
end;
$$;

comment on function monitoring.enqueue_notifications(uuid, text, timestamptz) is
'Writes the outbox rows for one alert event per the routes and silences, in the caller''s transaction. Engine only.';

revoke execute on function monitoring.enqueue_notifications(uuid, text, timestamptz) from public, anon, authenticated;
-- supalert:end sql/outbox/enqueue_notifications.sql

-- supalert:source rules/backup_stale.md sha256=db774c74fc095c5ecef22ad92724abbd75337f6aae9d08e4af2ca92019245b05
insert into monitoring.rules (
    key, title, description, metric_function, alert_type, severity, comparison, threshold, time_window, repeat_interval,
    evaluation_interval
) values (
    'backup_stale', 'Backups Are Stale',
    'The newest verified backup (monitoring.backup_log) finished more than 48 hours ago.', 'metric_backup_age_hours',
    'low_inventory', 'high', '>', 48, interval '1 day', interval '1 day', interval '1 hour'
)
on conflict (key) do nothing;
-- supalert:end rules/backup_stale.md

-- supalert:source rules/bandwidth_gb_per_month.md sha256=8c60e181f381b23ce7dfe2e80e6cf190a5c8b755b3f214f82ec90b6603eb7eab
insert into monitoring.rules (
    key, title, description, metric_function, params, alert_type, severity, comparison, threshold, time_window,
    repeat_interval
) values (
    'bandwidth_gb_per_month', 'Bandwidth Near Plan Limit',
    'More than 40 GB of bandwidth this month (80% of 50 GB), from the newest usage sample (no data if stale).',
    'metric_usage_sample', '{"max_age": "2 days", "metric": "bandwidth_gb_month"}'::jsonb, 'high_usage', 'info', '>',
    40, interval '30 days', interval '1 day'
)
on conflict (key) do nothing;
-- supalert:end rules/bandwidth_gb_per_month.md

-- supalert:source rules/concurrent_users_threshold.md sha256=4abca4cf21d4951d373653cedb21362cd91427a595ea7adbe711f21708be42ed
insert into monitoring.rules (
    key, title, description, metric_function, alert_type, severity, comparison, threshold, time_window, repeat_interval
) values (
    'concurrent_users_threshold', 'High Concurrent Usage',
    'More than 100 users active in the last 15 minutes (user_sessions.last_active_at).', 'metric_active_users',
    'high_usage', 'info', '>', 100, interval '15 minutes', interval '1 day'
)
on conflict (key) do nothing;
-- supalert:end rules/concurrent_users_threshold.md

-- supalert:source rules/critical_errors_per_hour.md sha256=b77f593e9fb4c4f0f33b009b005c36379bc26beab6f7b2615508b938faa216d0
insert into monitoring.rules (
    key, title, description, metric_function, params, alert_type, severity, comparison, threshold, repeat_interval
) values (
    'critical_errors_per_hour', 'High Error Rate Detected',
    'More than 5 high or critical errors in the last hour (the seed''s check_error_rate_threshold).',
    'metric_error_count', '{"severities": ["critical", "high"]}'::jsonb, 'high_error_rate', 'critical', '>', 5,
    interval '1 hour'
)
on conflict (key) do nothing;
-- supalert:end rules/critical_errors_per_hour.md

-- supalert:source rules/database_size_gb.md sha256=6051125fc63a30ccb06295ba853b62496252469b318ef3ec979ce853be6cc4d8
insert into monitoring.rules (
    key, title, description, metric_function, alert_type, severity, comparison, threshold, repeat_interval,
    evaluation_interval
) values (
    'database_size_gb', 'Database Size Near Plan Limit', 'Database larger than 8 GiB (80% of a 10 GiB plan).',
    'metric_database_size_gb', 'high_usage', 'info', '>', 8, interval '1 day', interval '5 minutes'
)
on conflict (key) do nothing;
-- supalert:end rules/database_size_gb.md

-- supalert:source rules/error_rate_percentage.md sha256=f197d5eda15180f4433c8dad9ead87916f6681ea93aa95f60ee397ad8ac485d0
insert into monitoring.rules (
    key, title, description, metric_function, alert_type, severity, comparison, threshold, repeat_interval
) values (
    'error_rate_percentage', 'High Error Rate (% of requests)',
    'More than 5 errors per 100 requests in the last hour (requests: edge_function rows of performance_metrics).',
    'metric_error_rate_percentage', 'high_error_rate', 'critical', '>', 5, interval '1 hour'
)
on conflict (key) do nothing;
-- supalert:end rules/error_rate_percentage.md

-- supalert:source rules/failed_emails_per_hour.md sha256=1ca78217b9e7a62558aacac6145606373760fb4dc267ac97693049d3809af90a
insert into monitoring.rules (
    key, title, description, metric_function, alert_type, severity, comparison, threshold
) values (
    'failed_emails_per_hour', 'Many Failed Emails', 'More than 20 emails failed in the last hour (email_delivery_log).',
    'metric_failed_emails', 'failed_sms', 'warning', '>', 20
)
on conflict (key) do nothing;
-- supalert:end rules/failed_emails_per_hour.md

-- supalert:source rules/failed_gift_card_provisions.md sha256=4fb3c4ff550626c27d83a6a71d95597662d87f3dfceef456fa5331496084440f
insert into monitoring.rules (
    key, title, description, metric_function, alert_type, severity, comparison, threshold
) values (
    'failed_gift_card_provisions', 'Failed Gift Card Provisions',
    'More than 5 gift-card provisions failed in the last hour (gift_card_provisions).', 'metric_failed_gift_cards',
    'low_inventory', 'high', '>', 5
)
on conflict (key) do nothing;
-- supalert:end rules/failed_gift_card_provisions.md

-- supalert:source rules/failed_sms_per_hour.md sha256=533be4dcb1cf82919758b9e31f65a7e7f35c93374c08c0f3c076b5e5c5ca23a0
insert into monitoring.rules (
    key, title, description, metric_function, alert_type, severity, comparison, threshold
) values (
    'failed_sms_per_hour', 'High SMS Failure Rate',
    'More than 10% of the SMS sent in the last hour failed (the seed''s check_sms_delivery_failures); no SMS, no '
    || 'check.',
    'metric_sms_failure_percentage', 'failed_sms', 'warning', '>', 10
)
on conflict (key) do nothing;
-- supalert:end rules/failed_sms_per_hour.md

-- supalert:source rules/function_calls_per_day.md sha256=c947eddd63399fd4b5fd21c629009659eb06e5fb15f29ddf75109b8125d39fc4
insert into monitoring.rules (
    key, title, description, metric_function, alert_type, severity, comparison, threshold, time_window, repeat_interval
) values (
    'function_calls_per_day', 'Edge Function Calls Near Plan Limit',
    'More than 400,000 edge-function calls today, UTC (80% of 500k).', 'metric_function_calls_today', 'high_usage',
    'info', '>', 400000, interval '1 day', interval '1 day'
)
on conflict (key) do nothing;
-- supalert:end rules/function_calls_per_day.md

-- supalert:source rules/high_errors_per_hour.md sha256=21f261366f48dbd5706deca947f4feae44784ce54403dab61a571b2b2e359c07
insert into monitoring.rules (
    key, title, description, metric_function, params, alert_type, severity, comparison, threshold
) values (
    'high_errors_per_hour', 'Many High-Severity Errors', 'More than 20 high-severity errors in the last hour.',
    'metric_error_count', '{"severities": ["high"]}'::jsonb, 'high_error_rate', 'high', '>', 20
)
on conflict (key) do nothing;
-- supalert:end rules/high_errors_per_hour.md

-- supalert:source rules/low_credit_balance.md sha256=0b07ede79140e9892c77b9cb4671f7b9ed809e5d179f8b3e2523ed32efe467d2
insert into monitoring.rules (
    key, title, description, metric_function, alert_type, severity, comparison, threshold, repeat_interval, on_no_data
) values (
    'low_credit_balance', 'Low Credit Balance',
    'A client''s credit balance is below 100 (client_credits; one alert per client).', 'metric_client_credit',
    'low_inventory', 'high', '<', 100, interval '1 day', 'resolve'
)
on conflict (key) do nothing;
-- supalert:end rules/low_credit_balance.md

-- supalert:source rules/monitor_down.md sha256=14a235ac97d8d33ab6d9078ae1bd7122be9087646e47ec25007f05e4d0a826f6
insert into monitoring.rules (
    key, title, description, kind, alert_type, severity, comparison, threshold, repeat_interval
) values (
    'monitor_down', 'Monitoring Down',
    'A part of supalert itself has stopped (pg_cron, one of its jobs, the evaluation, or delivery): alerts may be '
    || 'missed or late until it is fixed. The message names each failing part.',
    'engine', 'database_down', 'critical', '>', 0, interval '1 hour'
)
on conflict (key) do nothing;
-- supalert:end rules/monitor_down.md

-- supalert:source rules/notification_dead.md sha256=9ae98c48856d9923aef159f39c713ff2ffc84ac101bd6079415a9849935fe328
insert into monitoring.rules (
    key, title, description, kind, alert_type, severity, comparison, threshold
) values (
    'notification_dead', 'Alert Notifications Failing',
    'A notification could not be delivered on a channel; people relying on that channel are not being told.', 'engine',
    'high_error_rate', 'high', '>', 0
)
on conflict (key) do nothing;
-- supalert:end rules/notification_dead.md

-- supalert:source rules/page_load_time_ms.md sha256=13c26f8bb70452eb1c270f8121b8a6ceebbbf3484aa3856747a169894ce8529d
insert into monitoring.rules (
    key, title, description, metric_function, params, alert_type, severity, comparison, threshold
) values (
    'page_load_time_ms', 'Slow Page Loads',
    'Average page load above 5 s over the last hour (performance_metrics rows with metric_type page_load).',
    'metric_duration', '{"aggregate": "avg", "metric_type": "page_load"}'::jsonb, 'slow_performance', 'warning', '>',
    5000
)
on conflict (key) do nothing;
-- supalert:end rules/page_load_time_ms.md

-- supalert:source rules/rule_error.md sha256=134ed9333bc93347f3428a81b73c61be59c898ad14272d8740f24aedf93dbb55
insert into monitoring.rules (
    key, title, description, kind, alert_type, severity, comparison, threshold
) values (
    'rule_error', 'Alert Rule Failing',
    'A rule''s metric function raised an error, so that rule is not watching anything until it is fixed.', 'engine',
    'high_error_rate', 'high', '>', 0
)
on conflict (key) do nothing;
-- supalert:end rules/rule_error.md

-- supalert:source rules/slow_response_time_ms.md sha256=9abb51bc4a4c666d45bd483645724937452fe49df4e72b7a25732da13b61bac0
insert into monitoring.rules (
    key, title, description, metric_function, params, alert_type, severity, comparison, threshold
) values (
    'slow_response_time_ms', 'Performance Degradation Detected',
    'Average edge-function duration above 3 s over the last hour (the seed''s check_performance_degradation).',
    'metric_duration', '{"aggregate": "avg", "metric_type": "edge_function"}'::jsonb, 'slow_performance', 'high', '>',
    3000
)
on conflict (key) do nothing;
-- supalert:end rules/slow_response_time_ms.md

-- supalert:source rules/sms_bounce_rate.md sha256=db3b51f184d3bf608f170aa35655383eec951db758d972cd70f4b3ae67a6d5a6
insert into monitoring.rules (
    key, title, description, metric_function, params, alert_type, severity, comparison, threshold
) values (
    'sms_bounce_rate', 'High SMS Bounce Rate',
    'More than 10% of the SMS sent in the last hour bounced (delivery_status undelivered or bounced).',
    'metric_sms_failure_percentage', '{"statuses": ["bounced", "undelivered"]}'::jsonb, 'failed_sms', 'warning', '>', 10
)
on conflict (key) do nothing;
-- supalert:end rules/sms_bounce_rate.md

-- supalert:source rules/very_slow_response_time_ms.md sha256=f6faddc64cf60c3bd87f5016a5d5a4e751811f90cca28c8f7b27351bafbf84fe
insert into monitoring.rules (
    key, title, description, metric_function, params, alert_type, severity, comparison, threshold, repeat_interval
) values (
    'very_slow_response_time_ms', 'Severe Performance Degradation',
    'Average edge-function duration above 10 s over the last hour.', 'metric_duration',
    '{"aggregate": "avg", "metric_type": "edge_function"}'::jsonb, 'slow_performance', 'critical', '>', 10000,
    interval '1 hour'
)
on conflict (key) do nothing;
-- supalert:end rules/very_slow_response_time_ms.md
