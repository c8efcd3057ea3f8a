-- 20261207092459_health_rules: written by `python deploy.py new-migration health_rules`.
-- Blocks between supalert:source and supalert:end are copies of sql/ and of the rules/ definitions; change
-- those and generate a new migration instead of editing them. Hand-written statements may go above or
-- below the blocks.

-- Each pg_cron job's newest start, remembered past the purge of cron.job_run_details (7 days), and when supalert
-- first saw it (the baseline of a job that never ran). Written by monitoring.metric_cron_jobs only.
create table if not exists monitoring.cron_job_watch (
    jobid bigint primary key,
    first_seen_at timestamptz not null,
    last_started_at timestamptz
);
comment on table monitoring.cron_job_watch is
'Per pg_cron job: first seen by supalert, newest start seen. Written by monitoring.metric_cron_jobs.';
alter table monitoring.cron_job_watch enable row level security;
revoke all on monitoring.cron_job_watch from anon, authenticated;

-- supalert:source sql/health/cron_day_matches.sql sha256=b58d4dd664eefac0d9fe1f64cf6c5611a6e2d1a14bbd77937e241c912ff7b59f
-- monitoring.cron_day_matches(day, allowed days): whether a day of the month is allowed, where -1 ('$') stands
-- for the month's last day. Read by monitoring.cron_next_run only; owner only.
create or replace function monitoring.cron_day_matches(p_at timestamp, p_days integer[])
returns boolean
language sql
immutable
set search_path = ''
as $$
    select extract(day from p_at)::integer = any (p_days)
        or (-1 = any (p_days)
            and extract(month from p_at + interval '1 day') <> extract(month from p_at))
$$;

comment on function monitoring.cron_day_matches(timestamp, integer[]) is
'Whether a day of the month is among the allowed ones (-1 is the last day). Read by monitoring.cron_next_run.';

revoke execute on function monitoring.cron_day_matches(timestamp, integer[]) from public, anon, authenticated;
-- supalert:end sql/health/cron_day_matches.sql

-- supalert:source sql/health/cron_field_values.sql sha256=d0ee53e0c9f140da2bcdff9cff619844e272a7892315182db645e6754bffdf53
-- monitoring.cron_field_values(field, low, high, names): the values one field of a cron schedule allows, sorted
-- (e.g. '1-10/3' -> {1,4,7,10}; 'mon,fri' with day names -> {1,5}); null when the field cannot be read. Names
-- (jan..dec, sun..sat) count from `low`; '$' (pg_cron's last day of the month) is -1; a day of week 7 is 0.
-- Read by monitoring.cron_next_run only; owner only.
create or replace function monitoring.cron_field_values(p_field text, p_low integer, p_high integer, p_names text[])
returns integer[]
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_part text;
    v_range text;
    v_step integer;
    v_from integer;
    v_to integer;
    v_values integer[] := '{}'::integer[];
    v_match text[];
begin
    foreach v_part in array pg_catalog.string_to_array(pg_catalog.lower(p_field), ',') loop
        if v_part = '$' then
            v_values := v_values || -1;
            continue;
        end if;
        v_range := pg_catalog.split_part(v_part, '/', 1);
        v_step := coalesce(nullif(pg_catalog.split_part(v_part, '/', 2), '')::integer, 1);
        if v_step < 1 then
            return null;
        end if;
        if v_range = '*' then
            v_from := p_low;
            v_to := p_high;
        else
            v_match := pg_catalog.regexp_match(v_range, '^([a-z0-9]+)(?:-([a-z0-9]+))?$');
            if v_match is null then
                return null;
            end if;
            v_from := coalesce(
                pg_catalog.array_position(p_names, v_match[1]) + p_low - 1,
                case when v_match[1] ~ '^\d+$' then v_match[1]::integer end
            );
            v_to := coalesce(
                pg_catalog.array_position(p_names, v_match[2]) + p_low - 1,
                case when v_match[2] ~ '^\d+$' then v_match[2]::integer end,
                -- 'a/n' runs from a to the end of the field
                case when pg_catalog.strpos(v_part, '/') > 0 then p_high else v_from end
            );
        end if;
        -- a day of week may be written 7 (Sunday), one past the field's high end
        if v_from is null or v_to is null or v_from < p_low or v_from > v_to
           or v_to > p_high + (case when p_high = 6 then 1 else 0 end) then
            return null;
        end if;
        v_values := v_values || array(select pg_catalog.generate_series(v_from, v_to, v_step));
    end loop;
    return array(
        select distinct case when p_high = 6 and v.n = 7 then 0 else v.n end
          from pg_catalog.unnest(v_values) as v (n)
         order by 1
    );
exception when invalid_text_representation or numeric_value_out_of_range then
    return null;
end;
$$;

comment on function monitoring.cron_field_values(text, integer, integer, text[]) is
'The values one cron schedule field allows (null when unreadable). Read by monitoring.cron_next_run.';

revoke execute on function monitoring.cron_field_values(text, integer, integer, text[])
from public, anon, authenticated;
-- supalert:end sql/health/cron_field_values.sql

-- supalert:source sql/health/cron_next_run.sql sha256=ab754060999b72c41f74f25242025478033b3eda44896f00c4af9b11b7785361
-- monitoring.cron_next_run(schedule, after, time zone): the first time after `after` at which pg_cron starts a
-- job with this schedule: 'N seconds', the @ shorthands, or five cron fields read as pg_cron reads them (in its
-- cron.timezone; when day of month and day of week are both restricted, either one matching is enough). Null for
-- @reboot, for a schedule it cannot read, and for one that never fires (e.g. 30 February).
-- Read by the cron health metrics; owner only.
create or replace function monitoring.cron_next_run(
    p_schedule text, p_after timestamptz, p_time_zone text default 'GMT'
)
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
declare
    v_schedule text := pg_catalog.lower(pg_catalog.btrim(p_schedule));
    v_fields text[];
    v_minutes integer[];
    v_hours integer[];
    v_days integer[];
    v_months integer[];
    v_weekdays integer[];
    v_any_day boolean;
    v_any_weekday boolean;
    v_day_ok boolean;
    v_at timestamp;
    v_seconds text[];
    v_steps integer := 0;
    v_next integer;
begin
    v_seconds := pg_catalog.regexp_match(v_schedule, '^(\d+) seconds?$');
    if v_seconds is not null then
        return p_after + pg_catalog.make_interval(secs => v_seconds[1]::integer);
    end if;
    v_schedule := case v_schedule
        when '@yearly' then '0 0 1 1 *'
        when '@annually' then '0 0 1 1 *'
        when '@monthly' then '0 0 1 * *'
        when '@weekly' then '0 0 * * 0'
        when '@daily' then '0 0 * * *'
        when '@midnight' then '0 0 * * *'
        when '@hourly' then '0 * * * *'
        else v_schedule
    end;
    v_fields := pg_catalog.regexp_split_to_array(v_schedule, '\s+');
    if pg_catalog.cardinality(v_fields) <> 5 then
        return null;
    end if;
    v_minutes := monitoring.cron_field_values(v_fields[1], 0, 59, null);
    v_hours := monitoring.cron_field_values(v_fields[2], 0, 23, null);
    v_days := monitoring.cron_field_values(v_fields[3], 1, 31, null);
    v_months := monitoring.cron_field_values(
        v_fields[4], 1, 12, '{jan,feb,mar,apr,may,jun,jul,aug,sep,oct,nov,dec}'
    );
    v_weekdays := monitoring.cron_field_values(v_fields[5], 0, 6, '{sun,mon,tue,wed,thu,fri,sat}');
    if v_minutes is null or v_hours is null or v_days is null or v_months is null or v_weekdays is null then
        return null;
    end if;
    v_any_day := pg_catalog.left(v_fields[3], 1) = '*';
    v_any_weekday := pg_catalog.left(v_fields[5], 1) = '*';

    v_at := pg_catalog.date_trunc('minute', p_after at time zone p_time_zone) + interval '1 minute';
    -- Each step moves to the next month, day, hour or minute that can match: at most a few thousand in five years.
    while v_steps < 20000 loop
        v_steps := v_steps + 1;
        if v_at > (p_after at time zone p_time_zone) + interval '5 years' then
            return null;
        end if;
        if not (extract(month from v_at)::integer = any (v_months)) then
            v_at := pg_catalog.date_trunc('month', v_at) + interval '1 month';
            continue;
        end if;
        v_day_ok := case
            when v_any_day and v_any_weekday then true
            when v_any_day then extract(dow from v_at)::integer = any (v_weekdays)
            when v_any_weekday then monitoring.cron_day_matches(v_at, v_days)
            else monitoring.cron_day_matches(v_at, v_days) or extract(dow from v_at)::integer = any (v_weekdays)
        end;
        if not v_day_ok then
            v_at := pg_catalog.date_trunc('day', v_at) + interval '1 day';
            continue;
        end if;
        -- Hours and minutes jump straight to the next allowed value (or roll over to the next day or hour).
        v_next := (select min(h) from pg_catalog.unnest(v_hours) as h where h >= extract(hour from v_at));
        if v_next is null then
            v_at := pg_catalog.date_trunc('day', v_at) + interval '1 day';
            continue;
        elsif v_next > extract(hour from v_at) then
            v_at := pg_catalog.date_trunc('day', v_at) + pg_catalog.make_interval(hours => v_next);
        end if;
        v_next := (select min(m) from pg_catalog.unnest(v_minutes) as m where m >= extract(minute from v_at));
        if v_next is null then
            v_at := pg_catalog.date_trunc('hour', v_at) + interval '1 hour';
            continue;
        end if;
        v_at := pg_catalog.date_trunc('hour', v_at) + pg_catalog.make_interval(mins => v_next);
        return v_at at time zone p_time_zone;
    end loop;
    return null;
end;
$$;

comment on function monitoring.cron_next_run(text, timestamptz, text) is
'The next start of a pg_cron schedule after a time (null: @reboot, unreadable or never). Owner only.';

revoke execute on function monitoring.cron_next_run(text, timestamptz, text) from public, anon, authenticated;
-- supalert:end sql/health/cron_next_run.sql

-- supalert:source sql/outbox/enqueue_notifications.sql sha256=65037a8b7e26f90ee524db5fb7982ba1b69f73e1880f68b1d42fdd337e88563f
-- monitoring.enqueue_notifications(alert id, event, now): returns the number of outbox rows written.
-- Writes one monitoring.notifications row per channel that the enabled routes matching the alert choose, in the
-- caller's transaction (the one that changed the alert), so the notification commits or rolls back with it. A
-- route matches on alert type (its rule's, monitoring.alert_types), severity, rule and labels; a route marked
-- untyped_only (the seeded severity routes) serves only alerts without a type, such as an app's own:
--   - a silence matching the alert (rule, severity, labels) at p_now records the rows as suppressed;
--   - a digest route holds them for the daily digest (a test event is always sent at once);
--   - an escalation goes to the channels and recipients of the alert's current step (monitoring.escalate) instead
--     of the routes';
--   - a resolve goes only to channels that were told about the firing, on routes with send_resolved, and to
--     every channel and recipient an escalation paged (payload.recipients; '*' stands for the channel's own);
--   - a notification_dead alert never goes to the channel that is failing;
--   - a firing, repeat, escalation or resolve of a grouped rule's alert (monitoring.rules.group_by) carries its group key and
--     is due at its group's slot (monitoring.group_slot), so the alerts that come together go out as one message
--     per channel (monitoring.form_groups);
--   - the resolve of an inhibiting alert tells, with a firing now, every target that is still firing and was
--     told nothing because of it (monitoring.inhibitions; claim_notifications decides inhibition).
-- Engine only (apply_observation, resolve_alert, notify, escalate).
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
    v_recipients text[];
    v_group_by text[];
    v_group_wait interval;
    v_group_interval interval;
    v_group_key text;
    v_status text;
begin
    select a.* into v_alert from public.system_alerts as a where a.id = p_alert_id;
    if not found then
        raise exception 'alert % not found', p_alert_id using errcode = 'no_data_found';
    end if;
    v_labels := coalesce(v_alert.metadata -> 'labels', '{}'::jsonb);
    select r.alert_type, r.group_by, r.group_wait, r.group_interval
      into v_type, v_group_by, v_group_wait, v_group_interval
      from monitoring.rules as r
     where r.key = v_alert.alert_type;
    if v_group_by is not null and p_event in ('firing', 'repeat', 'escalation', 'resolved') then
        v_group_key := v_alert.alert_type || ' ' || monitoring.group_labels(v_labels, v_group_by)::text;
        -- One escalation step pages the same people for every member: a group per step.
        if p_event = 'escalation' then
            v_group_key := v_group_key || ' step ' || v_alert.escalation_step;
        end if;
    end if;

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
        'runbook_url', coalesce(v_alert.metadata ->> 'runbook_url', monitoring.runbook_url(v_alert.alert_type)),
        'metadata', v_alert.metadata
    );
    if p_event = 'escalation' then
        v_payload := v_payload || pg_catalog.jsonb_build_object('escalation_step', v_alert.escalation_step);
    end if;

    for v_channel, v_digest, v_recipients in
        with routed as (
            select c.channel, pg_catalog.bool_and(r.digest) as digest
              from monitoring.routes as r
             cross join lateral pg_catalog.unnest(r.channels) as c (channel)
             where r.enabled
               and p_event <> 'escalation'
               and (r.alert_type is null or r.alert_type = v_type)
               and not (r.untyped_only and v_type is not null)
               and (r.severity is null or r.severity = v_alert.severity)
               and (r.rule_key is null or r.rule_key = v_alert.alert_type)
               and v_labels @> r.labels
               and (p_event <> 'resolved' or r.send_resolved)
             group by c.channel
        ),

        stepped as (
            select distinct c.channel, s.recipients
              from monitoring.escalation_steps as s
             cross join lateral pg_catalog.unnest(s.channels) as c (channel)
             where p_event = 'escalation' and s.alert_type = v_type and s.step = v_alert.escalation_step
        ),

        paged as (
            select distinct n.channel
              from monitoring.notifications as n
             where p_event = 'resolved' and n.alert_id = p_alert_id and n.event = 'escalation'
               and n.status in ('pending', 'sending', 'sent', 'grouped')
        )

        select ch.channel, coalesce(rt.digest, false), st.recipients
          from (
              select routed.channel from routed
              union
              select stepped.channel from stepped
              union
              select paged.channel from paged
          ) as ch
          left join routed as rt on rt.channel = ch.channel
          left join stepped as st on st.channel = ch.channel
         order by ch.channel
    loop
        continue when v_alert.alert_type = 'notification_dead' and v_channel = v_labels ->> 'channel';
        if p_event = 'resolved' then
            -- Everyone told on this channel hears the end: the union of what each told row reached (null: the
            -- channel was told nothing, so it hears nothing).
            select pg_catalog.array_agg(distinct t.recipient order by t.recipient)
              into v_recipients
              from monitoring.notifications as n
             cross join lateral pg_catalog.jsonb_array_elements_text(
                 case
                     when pg_catalog.jsonb_typeof(n.payload -> 'recipients') = 'array'
                          and pg_catalog.jsonb_array_length(n.payload -> 'recipients') > 0
                         then n.payload -> 'recipients'
                     else '["*"]'::jsonb
                 end
             ) as t (recipient)
             where n.alert_id = p_alert_id and n.channel = v_channel and n.event in ('firing', 'repeat', 'escalation')
               and n.status in ('pending', 'sending', 'sent', 'held', 'digested', 'grouped');
            continue when v_recipients is null;
        end if;
        v_status := case
            when v_silence is not null then 'suppressed'
            when v_digest and p_event <> 'test' then 'held'
            else 'pending'
        end;
        insert into monitoring.notifications (
            alert_id, event, channel, status, payload, idempotency_key, next_attempt_at, silenced_by, group_key,
            created_at, updated_at
        ) values (
            p_alert_id, p_event, v_channel, v_status,
            case
                when coalesce(v_recipients, '{}') in ('{}', '{*}') then v_payload
                else v_payload || pg_catalog.jsonb_build_object('recipients', v_recipients)
            end,
            'supalert-' || pg_catalog.gen_random_uuid()::text,
            case
                when v_group_key is not null and v_status = 'pending'
                    then monitoring.group_slot(v_group_key, v_channel, p_event, v_group_wait, v_group_interval, p_now)
                else p_now
            end,
            v_silence,
            case when v_status = 'pending' then v_group_key end,
            p_now, p_now
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
                      and m.status in ('pending', 'sending', 'sent', 'held', 'digested', 'grouped')
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

-- supalert:source sql/outbox/runbook_url.sql sha256=b78d67d0b7b8e29ddce9a63749690b5258bb98e85a6285c8cb427139282c030c
-- monitoring.runbook_url(rule key): the link a notification of this rule carries to its runbook: the rule's own
-- runbook_url when set (a custom rule's, or a team's wiki page), else the dashboard's page of the shipped runbook
-- (monitoring.settings.dashboard_url + /runbooks/<key>, served from rules/<key>.md), else null (no dashboard
-- address is set). Engine only (the outbox).
create or replace function monitoring.runbook_url(p_rule text)
returns text
language sql
stable
set search_path = ''
as $$
    select coalesce(
        r.runbook_url,
        pg_catalog.rtrim(s.dashboard_url, '/') || '/runbooks/' || r.key
    )
      from monitoring.rules as r
      left join monitoring.settings as s on true
     where r.key = p_rule
$$;

comment on function monitoring.runbook_url(text) is
'The runbook link of a rule: its runbook_url, else the dashboard''s /runbooks/<key>, else null. Engine only.';

revoke execute on function monitoring.runbook_url(text) from public, anon, authenticated;
-- supalert:end sql/outbox/runbook_url.sql

-- supalert:source sql/metrics/metric_background_worker.sql sha256=3cad950e70694ff8cac4f99862cf9b51e83c116951169f9a30c9edf045f41c5c
-- monitoring.metric_background_worker(rule, now): 1 when the server process params.backend_type names (a LIKE
-- pattern, e.g. 'pg_cron launcher' or 'pg_net % worker') is not running while its extension (params.extension)
-- is installed in this database, else 0; no data when the extension is not installed.
-- Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_background_worker(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_extension text := p_rule.params ->> 'extension';
    v_pattern text := p_rule.params ->> 'backend_type';
begin
    if v_extension is null or v_pattern is null then
        raise exception 'rule %: params needs extension and backend_type', p_rule.key
            using errcode = 'invalid_parameter_value';
    end if;
    return query
    select
        case when w.pid is null then 1 else 0 end::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'extension', v_extension,
            'pid', w.pid,
            'started_at', w.backend_start,
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', case when w.pid is null
                then pg_catalog.format('no %s process is running (extension %s is installed)', v_pattern, v_extension)
                else pg_catalog.format('%s running since %s (pid %s)', w.backend_type, w.backend_start, w.pid)
            end
        ),
        false
      from pg_catalog.pg_extension as e
      left join lateral (
          select a.pid, a.backend_start, a.backend_type
            from pg_catalog.pg_stat_activity as a
           where a.backend_type like v_pattern
           limit 1
      ) as w on true
     where e.extname = v_extension
    union all
    select null, '{}'::jsonb,
           pg_catalog.jsonb_build_object('summary', pg_catalog.format('extension %s is not installed', v_extension)),
           true
     where not exists (select from pg_catalog.pg_extension as e where e.extname = v_extension);
end;
$$;

comment on function monitoring.metric_background_worker(monitoring.rules, timestamptz) is
'Metric: 1 when an installed extension''s server process (pg_cron launcher, pg_net worker) is not running.';

revoke execute on function monitoring.metric_background_worker(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/metrics/metric_background_worker.sql

-- supalert:source sql/metrics/metric_cron_jobs.sql sha256=f8a097e79a3c85b77dddf770fbe3d7b25ababa205a09395563e1a6eee56d4314
-- monitoring.metric_cron_jobs(rule, now): one series per active pg_cron job of the server, every user's (labels
-- {job}: its name, or its id when unnamed). params.measure 'failed_runs' counts its runs that failed in the
-- rule's window (an error; a RAISE WARNING alone leaves a succeeded run over libpq); 'overdue_minutes' is how many
-- minutes past its next scheduled start it has not started (0 when it is on time), measured from its last start,
-- or from when supalert first saw the job if it never ran. Starts are remembered in monitoring.cron_job_watch, so
-- pg_cron's run history being purged does not make a monthly job look overdue. No data without pg_cron.
-- Only jobs with a failure or a late start are series; with none, one unlabelled 0.
-- Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_cron_jobs(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_measure text := p_rule.params ->> 'measure';
    v_time_zone text := coalesce(pg_catalog.current_setting('cron.timezone', true), 'GMT');
begin
    if v_measure is null or v_measure not in ('failed_runs', 'overdue_minutes') then
        raise exception 'rule %: params.measure % is not failed_runs or overdue_minutes',
            p_rule.key, coalesce(v_measure, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    if pg_catalog.to_regclass('cron.job_run_details') is null then
        return query select null::numeric, '{}'::jsonb, '{"summary": "pg_cron is not installed"}'::jsonb, true;
        return;
    end if;

    if v_measure = 'overdue_minutes' then
        -- Remember each job's newest start; forget jobs that are gone.
        insert into monitoring.cron_job_watch as w (jobid, first_seen_at, last_started_at)
        select j.jobid, p_now, (select max(d.start_time) from cron.job_run_details as d where d.jobid = j.jobid)
          from cron.job as j
            on conflict (jobid) do update
            set last_started_at = excluded.last_started_at
          where excluded.last_started_at > coalesce(w.last_started_at, '-infinity');
        delete from monitoring.cron_job_watch as w where not exists (select from cron.job as j where j.jobid = w.jobid);
    end if;

    return query
    with jobs as (
        select j.jobid, coalesce(j.jobname, j.jobid::text) as job, j.schedule, j.username, j.database,
               w.first_seen_at, w.last_started_at,
               f.failures, f.last_failed_at, f.last_message
          from cron.job as j
          left join monitoring.cron_job_watch as w on w.jobid = j.jobid
          left join lateral (
              select count(*) as failures, max(d.start_time) as last_failed_at,
                     (pg_catalog.array_agg(d.return_message order by d.start_time desc))[1] as last_message
                from cron.job_run_details as d
               where v_measure = 'failed_runs'
                 and d.jobid = j.jobid and d.status = 'failed'
                 and d.start_time > p_now - p_rule.time_window and d.start_time <= p_now
          ) as f on true
         where j.active
    ),
    measured as (
        select q.*,
               case when v_measure = 'overdue_minutes' then monitoring.cron_next_run(
                   q.schedule, coalesce(q.last_started_at, q.first_seen_at, p_now), v_time_zone
               ) end as due_at
          from jobs as q
    ),
    valued as (
        select m.*,
               case when v_measure = 'failed_runs' then m.failures::numeric
                    else pg_catalog.round(greatest(extract(epoch from p_now - m.due_at) / 60, 0)::numeric, 1)
               end as value
          from measured as m
    )
    -- Only jobs in trouble (a failure, a late start) are series: the cost follows the problems, not the jobs.
    select
        m.value,
        pg_catalog.jsonb_build_object('job', m.job),
        pg_catalog.jsonb_build_object(
            'jobid', m.jobid,
            'schedule', m.schedule,
            'user_name', m.username,
            'database', m.database,
            'last_started_at', m.last_started_at,
            'due_at', m.due_at,
            'last_failed_at', m.last_failed_at,
            'last_message', pg_catalog.left(m.last_message, 300),
            'summary', case
                when v_measure = 'failed_runs' then pg_catalog.format(
                    'pg_cron job %s: %s failed run(s) in %s%s', m.job, m.failures,
                    monitoring.describe_interval(p_rule.time_window),
                    case when m.last_message is not null then ' (last: ' || pg_catalog.left(m.last_message, 120) || ')'
                         else '' end)
                when m.due_at is null then pg_catalog.format(
                    'pg_cron job %s: schedule %s has no next start supalert can compute', m.job, m.schedule)
                when m.due_at <= p_now then pg_catalog.format(
                    'pg_cron job %s (%s) has not started since it was due at %s; last started %s', m.job, m.schedule,
                    m.due_at, coalesce(m.last_started_at::text, 'never'))
                else pg_catalog.format('pg_cron job %s (%s): next start due at %s; last started %s', m.job,
                    m.schedule, m.due_at, coalesce(m.last_started_at::text, 'never'))
            end
        ),
        false
      from valued as m
     where m.value > 0 or (v_measure = 'overdue_minutes' and m.due_at is null)
    union all
    select 0, '{}'::jsonb,
           pg_catalog.jsonb_build_object('summary', pg_catalog.format(
               '%s active pg_cron job(s), none %s', (select count(*) from jobs),
               case when v_measure = 'failed_runs' then 'failed' else 'late' end)),
           false
     where not exists (
         select from valued as v where v.value > 0 or (v_measure = 'overdue_minutes' and v.due_at is null)
     );
end;
$$;

comment on function monitoring.metric_cron_jobs(monitoring.rules, timestamptz) is
'Metric: per active pg_cron job, failed runs in the window or minutes overdue (params.measure).';

revoke execute on function monitoring.metric_cron_jobs(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/metrics/metric_cron_jobs.sql

-- supalert:source sql/metrics/metric_db_connections.sql sha256=d3c8c81ee09f426b3f8b335e11bca8a282207db2df6d2b85e31ba65d2ed4b6dd
-- monitoring.metric_db_connections(rule, now): client connections of the whole server as a percentage of the
-- ones a non-superuser can open (max_connections minus superuser_reserved_connections). Detail: the counts by
-- state and the biggest users. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_db_connections(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_limit integer := pg_catalog.current_setting('max_connections')::integer
        - pg_catalog.current_setting('superuser_reserved_connections')::integer;
begin
    return query
    with clients as (
        select a.state, a.usename, a.application_name
          from pg_catalog.pg_stat_activity as a
         where a.backend_type = 'client backend'
    )
    select
        pg_catalog.round(100.0 * c.used / greatest(v_limit, 1), 1),
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'connections', c.used,
            'available', v_limit,
            'by_state', (select pg_catalog.jsonb_object_agg(coalesce(s.state, 'unknown'), s.n)
                           from (select state, count(*) as n from clients group by state) as s),
            'top_users', (select pg_catalog.jsonb_agg(u order by u.connections desc)
                            from (select usename as user_name, application_name, count(*) as connections
                                    from clients group by 1, 2 order by 3 desc limit 5) as u),
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', pg_catalog.format('%s of %s connections in use (%s%%)', c.used, v_limit,
                pg_catalog.round(100.0 * c.used / greatest(v_limit, 1), 1))
        ),
        false
      from (select count(*) as used from clients) as c;
end;
$$;

comment on function monitoring.metric_db_connections(monitoring.rules, timestamptz) is
'Metric: client connections as % of max_connections - superuser_reserved_connections.';

revoke execute on function monitoring.metric_db_connections(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/metrics/metric_db_connections.sql

-- supalert:source sql/metrics/metric_db_dead_tuples.sql sha256=a8994227b5dd2552346ba1274206075b200457242ef05260a96433c9347efecb
-- monitoring.metric_db_dead_tuples(rule, now): one series per table of this database with at least
-- params.min_dead_tuples dead rows (default 10000; labels {table}): dead rows as a percentage of all its rows,
-- from the statistics collector. A table autovacuum keeps up with stays under the line. 0 with no labels when no
-- table has that many dead rows. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_db_dead_tuples(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_min bigint := coalesce((p_rule.params ->> 'min_dead_tuples')::bigint, 10000);
begin
    return query
    with tables as (
        select t.schemaname, t.relname, t.n_dead_tup, t.n_live_tup, t.last_autovacuum, t.last_vacuum,
               100.0 * t.n_dead_tup / greatest(t.n_dead_tup + t.n_live_tup, 1) as percent
          from pg_catalog.pg_stat_user_tables as t
         where t.n_dead_tup >= v_min
    )
    select
        pg_catalog.round(t.percent, 1),
        pg_catalog.jsonb_build_object('table', pg_catalog.format('%I.%I', t.schemaname, t.relname)),
        pg_catalog.jsonb_build_object(
            'dead_rows', t.n_dead_tup,
            'live_rows', t.n_live_tup,
            'last_autovacuum', t.last_autovacuum,
            'last_vacuum', t.last_vacuum,
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', pg_catalog.format('table %I.%I: %s dead rows, %s%% of its rows (last autovacuum %s)',
                t.schemaname, t.relname, t.n_dead_tup, pg_catalog.round(t.percent, 1),
                coalesce(t.last_autovacuum::text, 'never'))
        ),
        false
      from tables as t
    union all
    select 0, '{}'::jsonb,
           pg_catalog.jsonb_build_object('summary', pg_catalog.format('no table has %s or more dead rows', v_min)),
           false
     where not exists (select from tables);
end;
$$;

comment on function monitoring.metric_db_dead_tuples(monitoring.rules, timestamptz) is
'Metric: per table with many dead rows, dead rows as % of its rows (autovacuum falling behind).';

revoke execute on function monitoring.metric_db_dead_tuples(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/metrics/metric_db_dead_tuples.sql

-- supalert:source sql/metrics/metric_db_invalid_indexes.sql sha256=b4d0c27508768bbc72b39cf99b18d939cae419d9e654e4d6f1759077c3b7d719
-- monitoring.metric_db_invalid_indexes(rule, now): one series per invalid index of this database (labels {index},
-- value 1), left by a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY; an index still being built is
-- not counted. 0 with no labels when every index is valid. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_db_invalid_indexes(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    with invalid as (
        select n.nspname, c.relname as index_name, t.relname as table_name,
               pg_catalog.pg_get_indexdef(i.indexrelid) as definition
          from pg_catalog.pg_index as i
          join pg_catalog.pg_class as c on c.oid = i.indexrelid
          join pg_catalog.pg_class as t on t.oid = i.indrelid
          join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
         where not i.indisvalid
           and not exists (select from pg_catalog.pg_stat_progress_create_index as p
                            where p.index_relid = i.indexrelid)
    )
    select
        1::numeric,
        pg_catalog.jsonb_build_object('index', pg_catalog.format('%I.%I', v.nspname, v.index_name)),
        pg_catalog.jsonb_build_object(
            'table', pg_catalog.format('%I.%I', v.nspname, v.table_name),
            'definition', v.definition,
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', pg_catalog.format('index %I.%I on %I is invalid: queries do not use it, writes still pay for it',
                v.nspname, v.index_name, v.table_name)
        ),
        false
      from invalid as v
    union all
    select 0, '{}'::jsonb, '{"summary": "every index is valid"}'::jsonb, false
     where not exists (select from invalid);
end;
$$;

comment on function monitoring.metric_db_invalid_indexes(monitoring.rules, timestamptz) is
'Metric: per invalid index (failed concurrent build), 1.';

revoke execute on function monitoring.metric_db_invalid_indexes(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/metrics/metric_db_invalid_indexes.sql

-- supalert:source sql/metrics/metric_db_replication_slots.sql sha256=32d2f9026f4f3f956034981d791915adb5aa70ee1ca6c0b7698f47a31cf22c7f
-- monitoring.metric_db_replication_slots(rule, now): one series per replication slot (labels {slot}). params.measure
-- 'inactive' is 1 while no client uses the slot, else 0; 'retained_wal_mb' is the WAL the slot keeps on disk, in
-- MB (from its restart_lsn to the current WAL position). 0 with no labels when there is no slot.
-- Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_db_replication_slots(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_measure text := p_rule.params ->> 'measure';
begin
    if v_measure is null or v_measure not in ('inactive', 'retained_wal_mb') then
        raise exception 'rule %: params.measure % is not inactive or retained_wal_mb',
            p_rule.key, coalesce(v_measure, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    return query
    with slots as (
        select s.slot_name, s.slot_type, s.plugin, s.database, s.active, s.wal_status,
               coalesce(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.restart_lsn), 0) as retained
          from pg_catalog.pg_replication_slots as s
    )
    select
        case when v_measure = 'inactive' then (case when s.active then 0 else 1 end)::numeric
             else pg_catalog.round((s.retained / 1048576.0)::numeric, 1) end,
        pg_catalog.jsonb_build_object('slot', s.slot_name),
        pg_catalog.jsonb_build_object(
            'slot_type', s.slot_type,
            'plugin', s.plugin,
            'database', s.database,
            'active', s.active,
            'wal_status', s.wal_status,
            'retained_wal_bytes', s.retained,
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', pg_catalog.format('%s slot %s is %s and holds %s of WAL', s.slot_type, s.slot_name,
                case when s.active then 'in use' else 'inactive' end,
                pg_catalog.pg_size_pretty(s.retained))
        ),
        false
      from slots as s
    union all
    select 0, '{}'::jsonb, '{"summary": "no replication slots"}'::jsonb, false
     where not exists (select from slots);
end;
$$;

comment on function monitoring.metric_db_replication_slots(monitoring.rules, timestamptz) is
'Metric: per replication slot, inactive (1/0) or the WAL it retains in MB (params.measure).';

revoke execute on function monitoring.metric_db_replication_slots(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/metrics/metric_db_replication_slots.sql

-- supalert:source sql/metrics/metric_db_sequences.sql sha256=a2ea7d6b0e54453b1afa761f63edc43eda70a118978b7c2dba53a13096b6c984
-- monitoring.metric_db_sequences(rule, now): one series per sequence outside the system schemas (labels
-- {sequence}): the percentage of its range used. The range ends at the sequence's own limit or at the limit of
-- the integer column it feeds (a serial or identity column of type integer runs out at 2^31 - 1 whatever the
-- sequence allows), whichever comes first. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_db_sequences(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    with sequences as (
        select s.schemaname, s.sequencename, s.increment_by, s.min_value, s.max_value,
               coalesce(s.last_value, s.start_value) as last_value,
               col.column_name, col.type_max
          from pg_catalog.pg_sequences as s
          join pg_catalog.pg_namespace as n on n.nspname = s.schemaname
          join pg_catalog.pg_class as c on c.relnamespace = n.oid and c.relname = s.sequencename
          left join lateral (
              select pg_catalog.format('%I.%I.%I', tn.nspname, t.relname, a.attname) as column_name,
                     case a.atttypid when 'int2'::regtype then 32767 when 'int4'::regtype then 2147483647 end
                         as type_max
                from pg_catalog.pg_depend as d
                join pg_catalog.pg_class as t on t.oid = d.refobjid
                join pg_catalog.pg_namespace as tn on tn.oid = t.relnamespace
                join pg_catalog.pg_attribute as a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
               where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid
                 and d.refclassid = 'pg_catalog.pg_class'::regclass and d.deptype in ('a', 'i')
               limit 1
          ) as col on true
         where s.schemaname not in ('pg_catalog', 'information_schema')
    ),
    used as (
        select q.*,
               case when q.increment_by > 0
                   then 100.0 * (q.last_value - q.min_value)
                        / greatest(least(q.max_value, coalesce(q.type_max, q.max_value)) - q.min_value, 1)
                   else 100.0 * (q.max_value - q.last_value)
                        / greatest(q.max_value - greatest(q.min_value, -coalesce(q.type_max, -q.min_value) - 1), 1)
               end as percent
          from sequences as q
    )
    select
        pg_catalog.round(u.percent, 2),
        pg_catalog.jsonb_build_object('sequence', pg_catalog.format('%I.%I', u.schemaname, u.sequencename)),
        pg_catalog.jsonb_build_object(
            'last_value', u.last_value,
            'max_value', u.max_value,
            'column', u.column_name,
            'column_max', u.type_max,
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', pg_catalog.format('sequence %I.%I has used %s%% of its range (last value %s%s)',
                u.schemaname, u.sequencename, pg_catalog.round(u.percent, 1), u.last_value,
                case when u.type_max is not null then pg_catalog.format(', column %s ends at %s', u.column_name, u.type_max)
                     else '' end)
        ),
        false
      from used as u
    union all
    select 0, '{}'::jsonb, '{"summary": "no sequences"}'::jsonb, false
     where not exists (select from sequences);
end;
$$;

comment on function monitoring.metric_db_sequences(monitoring.rules, timestamptz) is
'Metric: per sequence, % of its range used (capped by the integer column it feeds).';

revoke execute on function monitoring.metric_db_sequences(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/metrics/metric_db_sequences.sql

-- supalert:source sql/metrics/metric_db_session_age.sql sha256=f68807b1e6960abe10662ec6be0bd9e240c928ae31388ed6659e2f7ce599bd5c
-- monitoring.metric_db_session_age(rule, now): in minutes, how long the oldest session of this database has been
-- in the state params.kind names: 'idle_in_transaction' (since its last statement ended), 'active' (its query
-- started; client sessions only, the caller's own excluded) or 'lock_wait' (waiting for a lock, pg_locks.waitstart).
-- 0 when no session is in that state. Detail: the oldest one's pid, user, application and query, who blocks it,
-- and how many sessions are in that state. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_db_session_age(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_kind text := p_rule.params ->> 'kind';
begin
    if v_kind is null or v_kind not in ('idle_in_transaction', 'active', 'lock_wait') then
        raise exception 'rule %: params.kind % is not idle_in_transaction, active or lock_wait',
            p_rule.key, coalesce(v_kind, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    return query
    with sessions as (
        select a.pid, a.usename, a.application_name, a.query,
               case v_kind
                   when 'idle_in_transaction' then a.state_change
                   when 'active' then a.query_start
                   else (select min(l.waitstart) from pg_catalog.pg_locks as l
                          where l.pid = a.pid and not l.granted)
               end as since
          from pg_catalog.pg_stat_activity as a
         where a.datname = pg_catalog.current_database()
           and a.pid <> pg_catalog.pg_backend_pid()
           and case v_kind
                   when 'idle_in_transaction' then a.state in ('idle in transaction', 'idle in transaction (aborted)')
                   when 'active' then a.state = 'active' and a.backend_type = 'client backend'
                   else a.wait_event_type = 'Lock'
               end
    ),
    oldest as (
        select s.*, extract(epoch from p_now - s.since) / 60 as minutes
          from sessions as s
         where s.since is not null
         order by s.since
         limit 1
    )
    select
        pg_catalog.round(greatest(coalesce(o.minutes, 0), 0)::numeric, 1),
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'sessions', (select count(*) from sessions),
            'pid', o.pid,
            'user_name', o.usename,
            'application_name', o.application_name,
            'query', pg_catalog.left(o.query, 300),
            'blocked_by', case when v_kind = 'lock_wait' then pg_catalog.to_jsonb(pg_catalog.pg_blocking_pids(o.pid)) end,
            'since', o.since,
            'summary', case when o.pid is null
                then pg_catalog.format('no session %s', pg_catalog.replace(v_kind, '_', ' '))
                else pg_catalog.format('pid %s (%s, %s) %s for %s min', o.pid, o.usename,
                    coalesce(nullif(o.application_name, ''), 'no application name'),
                    pg_catalog.replace(v_kind, '_', ' '), pg_catalog.round(o.minutes::numeric, 1))
            end
        ),
        false
      from (select 1) as one
      left join oldest as o on true;
end;
$$;

comment on function monitoring.metric_db_session_age(monitoring.rules, timestamptz) is
'Metric: minutes the oldest session has been idle in transaction, active, or waiting for a lock (params.kind).';

revoke execute on function monitoring.metric_db_session_age(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/metrics/metric_db_session_age.sql

-- supalert:source sql/metrics/metric_db_xid_age.sql sha256=4a347892ff094d847313f2878caec00926588d23c13290989d24780ed1330d50
-- monitoring.metric_db_xid_age(rule, now): one series per database of the server (labels {database}): how far its
-- oldest unfrozen transaction ID is toward wraparound, as a percentage of 2^31 (age(datfrozenxid)). Detail: the
-- age, and the autovacuum workers running "to prevent wraparound" (emergency autovacuum) on the server.
-- Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_db_xid_age(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_emergency bigint := (select count(*) from pg_catalog.pg_stat_activity as a
                            where a.backend_type = 'autovacuum worker'
                              and a.query like '%(to prevent wraparound)%');
begin
    return query
    select
        pg_catalog.round(100.0 * pg_catalog.age(d.datfrozenxid) / 2147483648, 6),
        pg_catalog.jsonb_build_object('database', d.datname),
        pg_catalog.jsonb_build_object(
            'xid_age', pg_catalog.age(d.datfrozenxid),
            'emergency_autovacuum_workers', v_emergency,
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', pg_catalog.format('database %s: oldest unfrozen XID is %s transactions old (%s%% of 2^31)',
                d.datname, pg_catalog.age(d.datfrozenxid),
                pg_catalog.round(100.0 * pg_catalog.age(d.datfrozenxid) / 2147483648, 2))
        ),
        false
      from pg_catalog.pg_database as d;
end;
$$;

comment on function monitoring.metric_db_xid_age(monitoring.rules, timestamptz) is
'Metric: per database, age(datfrozenxid) as % of 2^31 (transaction ID wraparound).';

revoke execute on function monitoring.metric_db_xid_age(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/metrics/metric_db_xid_age.sql

-- supalert:source sql/metrics/metric_net_requests.sql sha256=0639da9b7013444a2d3acec31e8a17fcb776f8178470d8df990c5318d00e6e31
-- monitoring.metric_net_requests(rule, now): pg_net's requests. params.measure 'queued' is the number waiting in
-- net.http_request_queue; 'failed' counts the responses of the rule's window that failed: timed out, no answer
-- (error_msg: connection refused, DNS) or a 5xx answer. pg_net deletes responses after pg_net.ttl (6 hours by
-- default), so a window longer than that sees less. No data without pg_net. Metric interface; called by
-- monitoring.evaluate only.
create or replace function monitoring.metric_net_requests(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_measure text := p_rule.params ->> 'measure';
    v_count bigint;
    v_detail jsonb;
begin
    if v_measure is null or v_measure not in ('queued', 'failed') then
        raise exception 'rule %: params.measure % is not queued or failed', p_rule.key, coalesce(v_measure, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    if pg_catalog.to_regclass('net._http_response') is null then
        return query select null::numeric, '{}'::jsonb, '{"summary": "pg_net is not installed"}'::jsonb, true;
        return;
    end if;
    -- Dynamic SQL: the net schema exists only where pg_net is installed.
    if v_measure = 'queued' then
        execute 'select count(*) from net.http_request_queue' into v_count;
        v_detail := pg_catalog.jsonb_build_object('summary', pg_catalog.format('%s pg_net request(s) queued', v_count));
    else
        execute $sql$
            select count(*),
                   pg_catalog.jsonb_build_object(
                       'timed_out', count(*) filter (where r.timed_out),
                       'no_answer', count(*) filter (where not coalesce(r.timed_out, false) and r.error_msg is not null),
                       'server_error', count(*) filter (where r.status_code >= 500),
                       'last_error', (pg_catalog.array_agg(coalesce(r.error_msg, 'HTTP ' || r.status_code)
                                                            order by r.created desc))[1])
              from net._http_response as r
             where r.created > $1 - $2 and r.created <= $1
               and (r.timed_out or r.error_msg is not null or r.status_code >= 500)
        $sql$ into v_count, v_detail using p_now, p_rule.time_window;
        v_detail := v_detail || pg_catalog.jsonb_build_object('summary', pg_catalog.format(
            '%s pg_net request(s) failed in %s (%s timed out, %s no answer, %s 5xx)%s', v_count,
            monitoring.describe_interval(p_rule.time_window), v_detail ->> 'timed_out', v_detail ->> 'no_answer',
            v_detail ->> 'server_error',
            coalesce(': last ' || pg_catalog.left(v_detail ->> 'last_error', 120), '')));
    end if;
    return query select v_count::numeric, '{}'::jsonb, v_detail, false;
end;
$$;

comment on function monitoring.metric_net_requests(monitoring.rules, timestamptz) is
'Metric: pg_net requests queued, or failed in the window (timeout, no answer, 5xx) (params.measure).';

revoke execute on function monitoring.metric_net_requests(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/metrics/metric_net_requests.sql

-- supalert:source rules/blocked_query_minutes.md sha256=3ec879f6fc46bcc380bc8e0ccf421999b47fb2e2a63bf86f61ae5dd2e9445d0f
insert into monitoring.rules (
    key, title, description, metric_function, params, severity, comparison, threshold
) values (
    'blocked_query_minutes', 'Query Blocked by a Lock', 'A session has waited more than 2 minutes for a lock.',
    'metric_db_session_age', '{"kind": "lock_wait"}'::jsonb, 'high', '>', 2
)
on conflict (key) do nothing;
-- supalert:end rules/blocked_query_minutes.md

-- supalert:source rules/connections_critical_percent.md sha256=628bacd42ae8f5877b3dd0e7b7b6bcfe31c09db66795e53e8fac46b7dc559a0f
insert into monitoring.rules (
    key, title, description, metric_function, severity, comparison, threshold
) values (
    'connections_critical_percent', 'Connections Nearly Exhausted',
    'Client connections above 90% of the server''s available connections.', 'metric_db_connections', 'critical', '>', 90
)
on conflict (key) do nothing;
-- supalert:end rules/connections_critical_percent.md

-- supalert:source rules/connections_used_percent.md sha256=995a96e26bad3e223a2272c8f6c81f769f859cbf226ca2d848ce3570f6b80e36
insert into monitoring.rules (
    key, title, description, metric_function, severity, comparison, threshold
) values (
    'connections_used_percent', 'Connections Above 75%',
    'Client connections above 75% of the server''s available connections.', 'metric_db_connections', 'high', '>', 75
)
on conflict (key) do nothing;
-- supalert:end rules/connections_used_percent.md

-- supalert:source rules/cron_job_failed_runs.md sha256=8287d8b520b06e03212317d3ed8499f7e921df729aff24092a75c8ceeb91f9ff
insert into monitoring.rules (
    key, title, description, metric_function, params, on_no_data, group_by, severity, comparison, threshold
) values (
    'cron_job_failed_runs', 'pg_cron Job Failed', 'A pg_cron job had a failed run in the last hour.',
    'metric_cron_jobs', '{"measure": "failed_runs"}'::jsonb, 'resolve', array[]::text[], 'high', '>', 0
)
on conflict (key) do nothing;
-- supalert:end rules/cron_job_failed_runs.md

-- supalert:source rules/cron_job_overdue_minutes.md sha256=205be07d1a9b64197b45378e93ee7b6f2259a125e344a014ab3361968dc88950
insert into monitoring.rules (
    key, title, description, metric_function, params, on_no_data, group_by, severity, comparison, threshold
) values (
    'cron_job_overdue_minutes', 'pg_cron Job Stopped Running',
    'A pg_cron job has not started for more than 5 minutes past its scheduled time.', 'metric_cron_jobs',
    '{"measure": "overdue_minutes"}'::jsonb, 'resolve', array[]::text[], 'high', '>', 5
)
on conflict (key) do nothing;
-- supalert:end rules/cron_job_overdue_minutes.md

-- supalert:source rules/cron_scheduler_down.md sha256=d7af90a7dfaf30ba05848a5ba21852ae8167726002101c3d3fd68c05df0e6d14
insert into monitoring.rules (
    key, title, description, metric_function, params, severity, comparison, threshold
) values (
    'cron_scheduler_down', 'pg_cron Scheduler Down', 'pg_cron is installed but its launcher process is not running.',
    'metric_background_worker', '{"backend_type": "pg_cron launcher", "extension": "pg_cron"}'::jsonb, 'critical', '>',
    0
)
on conflict (key) do nothing;
-- supalert:end rules/cron_scheduler_down.md

-- supalert:source rules/dead_tuples_percent.md sha256=93ceef8266fcbddb569bee4185d1da4e9a6b71943d4167fd381eaec0334c803d
insert into monitoring.rules (
    key, title, description, metric_function, params, evaluations_before_firing, evaluation_interval, on_no_data,
    group_by, severity, comparison, threshold
) values (
    'dead_tuples_percent', 'Dead Rows Piling Up',
    'A table with 10,000 or more dead rows has more than 20% dead rows, for 30 minutes.', 'metric_db_dead_tuples',
    '{"min_dead_tuples": 10000}'::jsonb, 6, interval '5 minutes', 'resolve', array[]::text[], 'warning', '>', 20
)
on conflict (key) do nothing;
-- supalert:end rules/dead_tuples_percent.md

-- supalert:source rules/idle_in_transaction_long_minutes.md sha256=c91bb345a317a599585d57337d2896d4d75fa2e58b85c50edcc80ca23ccac23b
insert into monitoring.rules (
    key, title, description, metric_function, params, severity, comparison, threshold
) values (
    'idle_in_transaction_long_minutes', 'Session Idle in Transaction 15 min',
    'A session has been idle in an open transaction for more than 15 minutes.', 'metric_db_session_age',
    '{"kind": "idle_in_transaction"}'::jsonb, 'high', '>', 15
)
on conflict (key) do nothing;
-- supalert:end rules/idle_in_transaction_long_minutes.md

-- supalert:source rules/idle_in_transaction_minutes.md sha256=065e0b4570f3240a87813a0a9abb42b2fb97ce0695ff8b41e42c27765bf0c931
insert into monitoring.rules (
    key, title, description, metric_function, params, severity, comparison, threshold
) values (
    'idle_in_transaction_minutes', 'Session Idle in Transaction',
    'A session has been idle in an open transaction for more than 5 minutes.', 'metric_db_session_age',
    '{"kind": "idle_in_transaction"}'::jsonb, 'warning', '>', 5
)
on conflict (key) do nothing;
-- supalert:end rules/idle_in_transaction_minutes.md

-- supalert:source rules/invalid_indexes.md sha256=f0abd1f48cff0b676d488c730c14e43ed90feeaf042e66b0816c6caccfaff9a2
insert into monitoring.rules (
    key, title, description, metric_function, on_no_data, group_by, evaluation_interval, severity, comparison, threshold
) values (
    'invalid_indexes', 'Invalid Index', 'An index is invalid (left by a failed concurrent build).',
    'metric_db_invalid_indexes', 'resolve', array[]::text[], interval '10 minutes', 'warning', '>', 0
)
on conflict (key) do nothing;
-- supalert:end rules/invalid_indexes.md

-- supalert:source rules/long_running_query_minutes.md sha256=46f56f6fcfc8d73c5edfb8a96b891174d475449b57e8e6aa558f8d3d6d52437b
insert into monitoring.rules (
    key, title, description, metric_function, params, severity, comparison, threshold
) values (
    'long_running_query_minutes', 'Long-Running Query', 'A query has been running for more than 15 minutes.',
    'metric_db_session_age', '{"kind": "active"}'::jsonb, 'warning', '>', 15
)
on conflict (key) do nothing;
-- supalert:end rules/long_running_query_minutes.md

-- supalert:source rules/net_failed_requests.md sha256=0b43172ae7ddd2a848a65c4c0f327c3a44fc5c67e7c7d0e0275d321f5583f273
insert into monitoring.rules (
    key, title, description, metric_function, params, time_window, severity, comparison, threshold
) values (
    'net_failed_requests', 'pg_net Requests Failing',
    'pg_net requests failed (timeout, no answer, or 5xx) in the last 15 minutes.', 'metric_net_requests',
    '{"measure": "failed"}'::jsonb, interval '15 minutes', 'warning', '>', 0
)
on conflict (key) do nothing;
-- supalert:end rules/net_failed_requests.md

-- supalert:source rules/net_queue_depth.md sha256=5549d9e62462c7a1b20adcefec9aaa8d61ae042945ad018818bb6ca191e6447d
insert into monitoring.rules (
    key, title, description, metric_function, params, evaluations_before_firing, severity, comparison, threshold
) values (
    'net_queue_depth', 'pg_net Queue Backing Up',
    'More than 1,000 pg_net requests waiting to be sent, for 5 evaluations.', 'metric_net_requests',
    '{"measure": "queued"}'::jsonb, 5, 'warning', '>', 1000
)
on conflict (key) do nothing;
-- supalert:end rules/net_queue_depth.md

-- supalert:source rules/net_worker_down.md sha256=e1a8e85afcd8ffbcef7c88dc22b321899b78d94010d4534c396d76cc5b60f148
insert into monitoring.rules (
    key, title, description, metric_function, params, severity, comparison, threshold
) values (
    'net_worker_down', 'pg_net Worker Down',
    'pg_net is installed but its background worker is not running: HTTP requests and database webhooks queue up '
    || 'unsent.',
    'metric_background_worker', '{"backend_type": "pg_net % worker", "extension": "pg_net"}'::jsonb, 'critical', '>', 0
)
on conflict (key) do nothing;
-- supalert:end rules/net_worker_down.md

-- supalert:source rules/replication_slot_inactive.md sha256=8b84e4117cbe8c5c238b361fbf9eb5e5bc61d4ca3c7994aa62b8da5230d50bf1
insert into monitoring.rules (
    key, title, description, metric_function, params, evaluations_before_firing, on_no_data, group_by, severity,
    comparison, threshold
) values (
    'replication_slot_inactive', 'Replication Slot Inactive',
    'A replication slot has had no consumer for 5 evaluations in a row.', 'metric_db_replication_slots',
    '{"measure": "inactive"}'::jsonb, 5, 'resolve', array[]::text[], 'high', '>', 0
)
on conflict (key) do nothing;
-- supalert:end rules/replication_slot_inactive.md

-- supalert:source rules/replication_slot_wal_mb.md sha256=f9393041f4bcffa9ad95dd6c5d5fab1829ac1c5e4f4e47898b097d4359302d03
insert into monitoring.rules (
    key, title, description, metric_function, params, evaluation_interval, on_no_data, group_by, severity, comparison,
    threshold
) values (
    'replication_slot_wal_mb', 'Replication Slot Holds WAL', 'A replication slot keeps more than 1 GiB of WAL on disk.',
    'metric_db_replication_slots', '{"measure": "retained_wal_mb"}'::jsonb, interval '5 minutes', 'resolve',
    array[]::text[], 'high', '>', 1024
)
on conflict (key) do nothing;
-- supalert:end rules/replication_slot_wal_mb.md

-- supalert:source rules/sequence_used_percent.md sha256=dd8389ea65a2169490ed0aca98ec015d623007537a516d9eed4f131e91f5d8af
insert into monitoring.rules (
    key, title, description, metric_function, on_no_data, group_by, evaluation_interval, severity, comparison, threshold
) values (
    'sequence_used_percent', 'Sequence Near Exhaustion',
    'A sequence has used more than 75% of its range (or of the integer column it feeds).', 'metric_db_sequences',
    'resolve', array[]::text[], interval '10 minutes', 'high', '>', 75
)
on conflict (key) do nothing;
-- supalert:end rules/sequence_used_percent.md

-- supalert:source rules/xid_wraparound_critical_percent.md sha256=9c9668d5aca64e9a6cad710178d2448fc450ee39ce6c8c515faf100ea0170e0e
insert into monitoring.rules (
    key, title, description, metric_function, on_no_data, group_by, evaluation_interval, severity, comparison, threshold
) values (
    'xid_wraparound_critical_percent', 'Transaction ID Wraparound 75%',
    'A database''s oldest unfrozen transaction ID is past 75% of the way to wraparound.', 'metric_db_xid_age',
    'resolve', array[]::text[], interval '10 minutes', 'critical', '>', 75
)
on conflict (key) do nothing;
-- supalert:end rules/xid_wraparound_critical_percent.md

-- supalert:source rules/xid_wraparound_percent.md sha256=510907b8416db58733fcece759660c35c3eb7e6d7ec21f6f5e92c89bd277bd14
insert into monitoring.rules (
    key, title, description, metric_function, on_no_data, group_by, evaluation_interval, severity, comparison, threshold
) values (
    'xid_wraparound_percent', 'Transaction ID Wraparound 50%',
    'A database''s oldest unfrozen transaction ID is past 50% of the way to wraparound.', 'metric_db_xid_age',
    'resolve', array[]::text[], interval '10 minutes', 'high', '>', 50
)
on conflict (key) do nothing;
-- supalert:end rules/xid_wraparound_percent.md
