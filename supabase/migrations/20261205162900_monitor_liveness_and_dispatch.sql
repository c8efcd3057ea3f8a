-- 20261205162900_monitor_liveness_and_dispatch: written by `python deploy.py new-migration monitor_liveness_and_dispatch`.
-- Blocks between supalert:source and supalert:end are copies of sql/; change sql/ and generate a new
-- migration instead of editing them. Hand-written statements may go above or below the blocks.

-- The monitor watching itself (monitoring.liveness, monitoring.watch) and the database-side dispatcher scheduled as
-- soon as pg_net, Vault and the secrets exist (monitoring.ensure_dispatch_job), without a re-migration.

-- How often the two jobs run (`deploy.py schedule`), when supalert-dispatch was last (re)scheduled (a job that has
-- not run yet is judged from then), and when the monitor counts as unhealthy.
alter table monitoring.settings
add column if not exists evaluate_schedule text not null default '* * * * *',
add column if not exists dispatch_schedule text not null default '* * * * *',
add column if not exists dispatch_scheduled_at timestamptz,
add column if not exists heartbeat_stale_after interval not null default interval '5 minutes'
constraint settings_heartbeat_stale_after_positive check (heartbeat_stale_after > interval '0'),
add column if not exists overdue_after interval not null default interval '3 minutes'
constraint settings_overdue_after_positive check (overdue_after > interval '0');

-- The pg_net request ids of supalert-dispatch's calls, so monitoring.liveness can join pg_net's responses.
create table if not exists monitoring.dispatch_requests (
    request_id bigint primary key,
    requested_at timestamptz not null default now()
);
create index if not exists dispatch_requests_requested_at on monitoring.dispatch_requests (requested_at);
comment on table monitoring.dispatch_requests is
'pg_net request ids of supalert-dispatch''s calls of check-alert-triggers (a day of them), '
'joined to pg_net''s responses.';
revoke all on table monitoring.dispatch_requests from public, anon, authenticated;

-- With pg_cron 1.5+ the evaluation job may run every few seconds; a rule may then be due as often. The rules table
-- holds a few dozen rows, so the new check's scan under the table lock is instant.
-- squawk-ignore ban-drop-constraint
alter table monitoring.rules drop constraint if exists rules_evaluation_interval_at_least_a_minute;
-- squawk-ignore constraint-missing-not-valid
alter table monitoring.rules add constraint rules_evaluation_interval_at_least_a_second check (
    evaluation_interval >= interval '1 second'
);

-- Raised by monitoring.watch (check-alert-triggers, every run) while any part of the monitor fails; the seed's
-- Database Down: critical, so the critical route sends it by email, Slack and SMS. Repeats hourly while it lasts.
insert into monitoring.rules (
    key, title, description, kind, metric_function, comparison, threshold, time_window, severity, repeat_interval
) values (
    'monitor_down', 'Monitoring Down',
    'A part of supalert itself has stopped (pg_cron, one of its jobs, the evaluation, or delivery): alerts may be '
    'missed or late until it is fixed. The message names each failing part.',
    'engine', null, '>', 0, '1 hour', 'critical', '1 hour'
)
on conflict (key) do nothing;

-- supalert:source sql/functions/cron_database.sql sha256=4be8fb3189170e453e02dcc203f27c2a6b1410099b7a58dfca32916ca8876ee1
-- monitoring.cron_database(): returns the database whose jobs pg_cron runs: where its scheduler (the launcher
-- process) is connected, else cron.database_name as far as the caller may read it; null when pg_cron is not
-- loaded. Called by monitoring.liveness and monitoring.dispatcher_evaluates; owner only.
create or replace function monitoring.cron_database()
returns text
language sql
stable
set search_path = ''
as $$
    select coalesce(
        (select a.datname::text from pg_catalog.pg_stat_activity as a
          where a.backend_type = 'pg_cron launcher' order by a.backend_start limit 1),
        pg_catalog.current_setting('cron.database_name', true)
    )
$$;

comment on function monitoring.cron_database() is
'The database pg_cron runs jobs in (its scheduler''s, else cron.database_name); null when pg_cron is not loaded.';

revoke execute on function monitoring.cron_database() from public, anon, authenticated;
-- supalert:end sql/functions/cron_database.sql

-- supalert:source sql/functions/dispatch_missing.sql sha256=5fbaa6e8e70752b8bf7fa098174a94ef167a9ccce10e23ab4bfa92e426f91796
-- monitoring.dispatch_missing(): returns what the database still lacks to call check-alert-triggers itself (pg_net,
-- Vault, and the two Vault secrets `deploy.py secrets set` stores), each named as the user would enable it; empty
-- when nothing is missing. Vault is read through dynamic SQL so that the function exists where Vault does not.
-- Called by monitoring.ensure_dispatch_job and monitoring.liveness; owner only.
create or replace function monitoring.dispatch_missing()
returns text[]
language plpgsql
stable
set search_path = ''
as $$
declare
    v_missing text[] := '{}'::text[];
    v_found text[];
    v_secret text;
begin
    if not exists (select from pg_catalog.pg_extension where extname = 'pg_net') then
        v_missing := v_missing || 'the pg_net extension'::text;
    end if;
    if not exists (select from pg_catalog.pg_extension where extname = 'supabase_vault') then
        return v_missing || 'Supabase Vault (the supabase_vault extension)'::text;
    end if;
    execute 'select coalesce(pg_catalog.array_agg(s.name), ''{}'') from vault.decrypted_secrets as s'
        ' where s.name = any ($1) and coalesce(s.decrypted_secret, '''') <> '''''
        into v_found
        using array['supalert_project_url', 'supalert_dispatch_secret'];
    foreach v_secret in array array['supalert_project_url', 'supalert_dispatch_secret'] loop
        if not v_secret = any (v_found) then
            v_missing := v_missing || pg_catalog.format('the Vault secret %s', v_secret);
        end if;
    end loop;
    return v_missing;
end;
$$;

comment on function monitoring.dispatch_missing() is
'What the database lacks to call check-alert-triggers itself (pg_net, Vault, the two secrets); empty when none.';

revoke execute on function monitoring.dispatch_missing() from public, anon, authenticated;
-- supalert:end sql/functions/dispatch_missing.sql

-- supalert:source sql/functions/dispatch_via_pg_net.sql sha256=bed965e26d9a9c218a85724256ed141397b387ea77796f7e5f9aa3594417281f
-- monitoring.dispatch_via_pg_net(): returns the pg_net request id of one call to the check-alert-triggers edge
-- function, with the project URL and the dispatch secret read from Vault at call time (so no secret is ever written
-- into cron.job), and records the id so monitoring.liveness can tell how supalert's own requests fared. pg_net and
-- Vault are reached through dynamic SQL: the function exists where they do not. Called by the supalert-dispatch
-- pg_cron job; owner only.
create or replace function monitoring.dispatch_via_pg_net()
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    v_url text;
    v_secret text;
    v_request bigint;
begin
    execute 'select max(s.decrypted_secret) filter (where s.name = ''supalert_project_url''),'
        ' max(s.decrypted_secret) filter (where s.name = ''supalert_dispatch_secret'')'
        ' from vault.decrypted_secrets as s'
        into v_url, v_secret;
    if coalesce(v_url, '') = '' or coalesce(v_secret, '') = '' then
        raise exception 'supalert-dispatch: the Vault secret % is missing',
            case when coalesce(v_url, '') = '' then 'supalert_project_url' else 'supalert_dispatch_secret' end
            using errcode = 'no_data_found', hint = 'Store both with: python deploy.py secrets set';
    end if;
    execute 'select net.http_post(url := $1, headers := $2, body := ''{}''::jsonb, timeout_milliseconds := 55000)'
        into v_request
        using pg_catalog.rtrim(v_url, '/') || '/functions/v1/check-alert-triggers',
            pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || v_secret);
    insert into monitoring.dispatch_requests (request_id, requested_at) values (v_request, pg_catalog.now());
    -- pg_net keeps its responses 6 hours (pg_net.ttl); a day of ids is plenty to join them.
    delete from monitoring.dispatch_requests as d where d.requested_at < pg_catalog.now() - interval '1 day';
    return v_request;
end;
$$;

comment on function monitoring.dispatch_via_pg_net() is
'One pg_net call of check-alert-triggers with URL and credential from Vault; returns the request id. pg_cron only.';

revoke execute on function monitoring.dispatch_via_pg_net() from public, anon, authenticated;
-- supalert:end sql/functions/dispatch_via_pg_net.sql

-- supalert:source sql/functions/dispatcher_evaluates.sql sha256=59593fb9365eb8869ed2e39a8928f5a81a4154d76d264b0dccfed687105979fb
-- monitoring.dispatcher_evaluates(): returns true when check-alert-triggers must evaluate the rules itself because
-- pg_cron never will here (not installed, or its scheduler serves another database). Where pg_cron serves this
-- database it alone evaluates, running or not: a dead scheduler then leaves the heartbeat stale for the watchdog
-- instead of the dispatcher covering it up. Callers: check-alert-triggers (as a database login), service_role.
create or replace function monitoring.dispatcher_evaluates()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select not exists (select from pg_catalog.pg_extension where extname = 'pg_cron')
        or monitoring.cron_database() is distinct from pg_catalog.current_database()
$$;

comment on function monitoring.dispatcher_evaluates() is
'True when pg_cron will not evaluate the rules in this database, so check-alert-triggers must.';

revoke execute on function monitoring.dispatcher_evaluates() from public, anon, authenticated;
grant execute on function monitoring.dispatcher_evaluates() to service_role;
-- supalert:end sql/functions/dispatcher_evaluates.sql

-- supalert:source sql/functions/enable_pg_net.sql sha256=0143a8c9f828ab366e54ba6318bc13804d7e65cebb8380acfaef0760f0026817
-- monitoring.enable_pg_net(): returns null when pg_net is installed (or has just been created), else a sentence
-- saying why it could not be and how to enable it. Runs as its caller: on Supabase `postgres` may create pg_net
-- (supautils runs it as the superuser); elsewhere only a superuser may. Called by the migrations,
-- `deploy.py migrate` and `deploy.py secrets set`; not for the Data API.
create or replace function monitoring.enable_pg_net()
returns text
language plpgsql
set search_path = ''
as $$
declare
    v_error text;
begin
    if exists (select from pg_catalog.pg_extension where extname = 'pg_net') then
        return null;
    end if;
    if not exists (select from pg_catalog.pg_available_extensions where name = 'pg_net') then
        return 'pg_net is not available on this server (Supabase has it; elsewhere install pg_net and add it to '
            'shared_preload_libraries), so the database cannot call check-alert-triggers itself: schedule '
            '`python deploy.py dispatch` every minute elsewhere';
    end if;
    begin
        -- Supabase keeps extensions in the schema `extensions`; pg_net's own objects land in `net` either way.
        if pg_catalog.to_regnamespace('extensions') is not null then
            create extension if not exists pg_net with schema extensions;
        else
            create extension if not exists pg_net;
        end if;
    exception when others then
        get stacked diagnostics v_error = message_text;
        return pg_catalog.format(
            '%s may not create pg_net here (%s): enable it in the Supabase Dashboard (Database > Extensions > '
            'pg_net) or as a superuser with: create extension pg_net with schema extensions;',
            current_user, v_error
        );
    end;
    return null;
end;
$$;

comment on function monitoring.enable_pg_net() is
'Creates pg_net where the caller may; returns null when it is there, else why not and how to enable it.';

revoke execute on function monitoring.enable_pg_net() from public, anon, authenticated;
-- supalert:end sql/functions/enable_pg_net.sql

-- supalert:source sql/functions/ensure_dispatch_job.sql sha256=b11362800459019144fd4c0997a8c2e5b6adb4ed5443a69b35add1062fa9714e
-- monitoring.ensure_dispatch_job(): returns a sentence for the user: how often supalert-dispatch calls
-- check-alert-triggers, or what is still missing before it can (pg_net, Vault, the two secrets) and how to add it.
-- Schedules (or reschedules) the job as soon as nothing is missing, at monitoring.settings.dispatch_schedule, so
-- enabling pg_net or storing the secrets after `migrate` needs no re-migration. Called by the migrations,
-- `deploy.py migrate`, `deploy.py secrets set` and monitoring.set_schedules; owner only.
create or replace function monitoring.ensure_dispatch_job()
returns text
language plpgsql
set search_path = ''
as $$
declare
    c_command constant text := 'select monitoring.dispatch_via_pg_net()';
    v_missing text[];
    v_schedule text;
begin
    if not exists (select from pg_catalog.pg_extension where extname = 'pg_cron') then
        return 'supalert-dispatch is not scheduled: pg_cron is not installed';
    end if;
    v_missing := monitoring.dispatch_missing();
    if pg_catalog.cardinality(v_missing) > 0 then
        return pg_catalog.format(
            'supalert-dispatch is not scheduled, so nothing in the database calls check-alert-triggers: missing %s. '
            'Enable pg_net (Dashboard > Database > Extensions) and run `python deploy.py secrets set`, or run '
            '`python deploy.py dispatch` every minute from a scheduler', pg_catalog.array_to_string(v_missing, ', '));
    end if;
    select s.dispatch_schedule into v_schedule from monitoring.settings as s;
    if not exists (
        select from cron.job as j
         where j.jobname = 'supalert-dispatch' and j.schedule = v_schedule and j.command = c_command and j.active
    ) then
        -- Scheduling by name replaces an older supalert-dispatch (such as the first release's inline http_post).
        perform cron.schedule('supalert-dispatch', v_schedule, c_command);
        update monitoring.settings set dispatch_scheduled_at = pg_catalog.now(), updated_at = pg_catalog.now();
    end if;
    return pg_catalog.format('supalert-dispatch calls check-alert-triggers through pg_net (schedule %s)',
        pg_catalog.quote_literal(v_schedule));
end;
$$;

comment on function monitoring.ensure_dispatch_job() is
'Schedules supalert-dispatch once pg_net, Vault and the secrets exist; returns what it did or what is missing.';

revoke execute on function monitoring.ensure_dispatch_job() from public, anon, authenticated;
-- supalert:end sql/functions/ensure_dispatch_job.sql

-- supalert:source sql/functions/evaluate.sql sha256=5c579e748d42f6131ae03d19755f7b299cf4a2ddfacab9c271d04b53c6e7f3d2
-- monitoring.evaluate(rule default null, now default now()): one row per series evaluated
-- (rule, labels, value, threshold, state, alert_id, summary), so a DBA sees the answer in psql.
-- With no rule: every enabled rule that is due (its evaluation_interval has passed since its last run), then the
-- heartbeat. With a rule key: that rule now, due or not (a disabled rule is reported, not evaluated).
-- Each rule runs under its own advisory lock (overlapping runs, e.g. pg_cron and a DBA, never double-fire) and in
-- its own subtransaction: a rule that raises is logged, raises one rule_error alert, and the others still run.
-- Callers: pg_cron, deploy.py, service_role, and admins through the public check_* functions.
create or replace function monitoring.evaluate(p_rule text default null, p_now timestamptz default pg_catalog.now())
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
security definer
set search_path = ''
-- The rules' queries are small, but a plan over many partitions (a generic one, or a no-data look at the whole
-- table) can be estimated past jit_above_cost: compiling it would cost about 100 ms a call for nothing.
set jit = off
as $$
#variable_conflict use_column
declare
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_rule monitoring.rules;
    v_error_rule monitoring.rules;
    v_evaluated integer := 0;
    v_failed integer := 0;
    v_message text;
    v_sqlstate text;
    v_rule_started timestamptz;
    v_error_alert uuid;
begin
    perform monitoring.require_admin();
    if p_rule is not null and not exists (select from monitoring.rules as r where r.key = p_rule) then
        raise exception 'unknown rule %', pg_catalog.quote_literal(p_rule)
            using errcode = 'no_data_found', hint = 'List the rules with: select key from monitoring.rules;';
    end if;
    -- Closed hours of today's edge-function calls, so the daily quota rule reads only the open ones.
    perform monitoring.rollup_function_calls(p_now);

    for v_rule in
        select r.*
          from monitoring.rules as r
         where r.kind = 'metric'
           and (r.key = p_rule or (p_rule is null and r.enabled))
         order by r.key
    loop
        if not v_rule.enabled then
            rule := v_rule.key;
            labels := '{}'::jsonb;
            value := null;
            threshold := v_rule.threshold;
            state := 'disabled';
            alert_id := null;
            summary := 'rule is disabled (monitoring.rules.enabled = false)';
            return next;
            continue;
        end if;
        -- Keys are taken in key order by every caller, so two evaluations cannot deadlock.
        perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('supalert:rule:' || v_rule.key, 0));
        -- Re-checked under the lock: a run that waited for another sees its work and skips a rule not yet due.
        continue when p_rule is null and exists (
            select from monitoring.rule_runs as rr
             where rr.rule_key = v_rule.key
               and rr.evaluated_at <= p_now
               -- Slack (10 s, or a sixth of a shorter interval): pg_cron starts a job a little early or late
               and rr.evaluated_at > p_now - v_rule.evaluation_interval
                   + least(interval '10 seconds', v_rule.evaluation_interval / 6)
        );
        v_evaluated := v_evaluated + 1;
        v_rule_started := pg_catalog.clock_timestamp();
        begin
            return query select * from monitoring.evaluate_rule(v_rule, p_now);
        exception when others then
            get stacked diagnostics v_message = message_text, v_sqlstate = returned_sqlstate;
            v_failed := v_failed + 1;
            insert into monitoring.rule_runs (rule_key, evaluated_at, outcome, duration_ms, error, sqlstate)
            values (
                v_rule.key, p_now, 'error',
                extract(epoch from pg_catalog.clock_timestamp() - v_rule_started) * 1000, v_message, v_sqlstate
            );
            select r.* into v_error_rule from monitoring.rules as r where r.key = 'rule_error' and r.enabled;
            v_error_alert := null;
            if found then
                select o.alert_id
                  into v_error_alert
                  from monitoring.apply_observation(
                      v_error_rule,
                      pg_catalog.jsonb_build_object('rule', v_rule.key),
                      1,
                      pg_catalog.jsonb_build_object(
                          'summary', pg_catalog.format('rule %s failed: %s', v_rule.key, v_message),
                          'sqlstate', v_sqlstate),
                      false,
                      p_now
                  ) as o;
            end if;
            rule := v_rule.key;
            labels := '{}'::jsonb;
            value := null;
            threshold := v_rule.threshold;
            state := 'error';
            alert_id := v_error_alert;
            summary := pg_catalog.format('%s (SQLSTATE %s)', v_message, v_sqlstate);
            return next;
        end;
    end loop;

    if p_rule is null then
        insert into monitoring.heartbeat as h (
            id, last_evaluated_at, completed_at, duration_ms, rules_evaluated, rules_failed
        ) values (
            true, p_now, pg_catalog.clock_timestamp(),
            extract(epoch from pg_catalog.clock_timestamp() - v_started) * 1000, v_evaluated, v_failed
        )
        on conflict (id) do update
           set last_evaluated_at = excluded.last_evaluated_at,
               completed_at = excluded.completed_at,
               duration_ms = excluded.duration_ms,
               rules_evaluated = excluded.rules_evaluated,
               rules_failed = excluded.rules_failed;
    end if;
end;
$$;

comment on function monitoring.evaluate(text, timestamptz) is
'Evaluates due rules (or one rule) at p_now; the only way alerts are created, updated or resolved. Admins only.';

revoke execute on function monitoring.evaluate(text, timestamptz) from public, anon;
grant execute on function monitoring.evaluate(text, timestamptz) to authenticated, service_role;
-- supalert:end sql/functions/evaluate.sql

-- supalert:source sql/functions/liveness.sql sha256=8145c82223247ed113152f5b3758c9394106f80c628cc8410d71afdea613d555
-- monitoring.liveness(now, stale_after): returns one row per part of the monitor (component, status ok | warn |
-- fail, detail, fix, age_seconds): the pg_cron scheduler; each supalert pg_cron job's last successful run against
-- its schedule; the heartbeat's age; notifications overdue with nothing delivering them; and the database-side
-- dispatcher (pg_net's worker and how supalert's own requests fared). The one answer to "is the monitor alive?":
-- `deploy.py status`, the dashboard, check-alert-triggers and monitoring.watch all read it. A fail means alerts can
-- be missed or late. Callers: database logins, service_role, admins.
create or replace function monitoring.liveness(
    p_now timestamptz default pg_catalog.now(), p_stale_after interval default null
)
returns table (component text, status text, detail text, fix text, age_seconds numeric)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_settings monitoring.settings;
    v_installed_at timestamptz;
    v_cron_version text;
    v_cron_database text;
    v_job record;
    v_period interval;
    v_since timestamptz;
    v_stale_after interval;
    v_beat timestamptz;
    v_overdue bigint;
    v_oldest timestamptz;
    v_missing text[];
    v_dispatch_scheduled boolean := false;
    v_requests record;
begin
    perform monitoring.require_admin();
    select s.* into v_settings from monitoring.settings as s;
    select max(h.applied_at) into v_installed_at from supalert_migrations.history as h;
    v_installed_at := coalesce(v_installed_at, p_now);

    -- The scheduler.
    select e.extversion into v_cron_version from pg_catalog.pg_extension as e where e.extname = 'pg_cron';
    v_cron_database := monitoring.cron_database();
    component := 'pg_cron';
    age_seconds := null;
    if v_cron_version is null then
        status := 'fail';
        detail := 'pg_cron is not installed: nothing evaluates the rules on a schedule, and partitions, retention '
            'and the digest never run';
        fix := 'create extension pg_cron with schema pg_catalog; (Supabase: Dashboard > Database > Extensions), '
            'then python deploy.py migrate';
    elsif not exists (select from pg_catalog.pg_stat_activity as a where a.backend_type = 'pg_cron launcher') then
        status := 'fail';
        detail := 'the pg_cron scheduler is not running: no supalert job runs (evaluation, delivery, partitions, '
            'retention, digest)';
        fix := 'Supabase: restart the project (Dashboard > Settings > General > Restart project); elsewhere: read the '
            'server log for pg_cron and check shared_preload_libraries and cron.database_name';
    elsif v_cron_database is distinct from pg_catalog.current_database() then
        status := 'fail';
        detail := pg_catalog.format('pg_cron runs only the jobs of database %s (cron.database_name), so supalert''s '
            'jobs here in %s never run', v_cron_database, pg_catalog.current_database());
        fix := pg_catalog.format('install supalert into %s, or set cron.database_name = %L and restart Postgres',
            v_cron_database, pg_catalog.current_database());
    else
        status := 'ok';
        detail := pg_catalog.format('pg_cron %s scheduler running in %s', v_cron_version, v_cron_database);
        fix := null;
    end if;
    return next;

    -- Each supalert job against its schedule. One pass over pg_cron's run log, which has no index on jobid.
    if v_cron_version is not null then
        component := 'job supalert-evaluate';
        if not exists (select from cron.job as j where j.jobname = 'supalert-evaluate') then
            status := 'fail';
            detail := 'job supalert-evaluate is not scheduled: no rule is evaluated';
            fix := 'select monitoring.schedule_evaluation();';
            age_seconds := null;
            return next;
        end if;
        for v_job in
            select j.jobid, j.jobname::text as jobname, j.schedule::text as schedule, j.active,
                   r.last_ok, r.latest_status, r.latest_message, r.latest_start
              from cron.job as j
              left join (
                  select d.jobid,
                         max(d.end_time) filter (where d.status = 'succeeded') as last_ok,
                         (pg_catalog.array_agg(d.status order by d.start_time desc nulls last))[1] as latest_status,
                         (pg_catalog.array_agg(d.return_message order by d.start_time desc nulls last))[1]
                           as latest_message,
                         max(d.start_time) as latest_start
                    from cron.job_run_details as d
                   group by d.jobid
              ) as r on r.jobid = j.jobid
             where j.jobname like 'supalert-%'
             order by j.jobname
        loop
            component := 'job ' || v_job.jobname;
            v_period := monitoring.schedule_period(v_job.schedule);
            v_since := coalesce(
                v_job.last_ok,
                case when v_job.jobname = 'supalert-dispatch' then v_settings.dispatch_scheduled_at end,
                v_installed_at
            );
            age_seconds := pg_catalog.round(extract(epoch from p_now - v_since)::numeric, 1);
            v_dispatch_scheduled := v_dispatch_scheduled or v_job.jobname = 'supalert-dispatch';
            if not v_job.active then
                status := 'fail';
                detail := pg_catalog.format('job %s is paused (cron.job.active is false)', v_job.jobname);
                fix := pg_catalog.format('select cron.alter_job(%s, active := true);', v_job.jobid);
            elsif v_job.latest_status = 'failed' and (v_job.last_ok is null or v_job.latest_start > v_job.last_ok) then
                status := 'fail';
                detail := pg_catalog.format('job %s failed at %s UTC: %s', v_job.jobname,
                    pg_catalog.to_char(v_job.latest_start at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                    pg_catalog.left(coalesce(v_job.latest_message, 'no message'), 300));
                fix := pg_catalog.format('select status, return_message, start_time from cron.job_run_details '
                    'where jobid = %s order by start_time desc limit 5;', v_job.jobid);
            elsif v_period is null then
                status := 'warn';
                detail := pg_catalog.format('job %s has a schedule supalert cannot read (%L), so missed runs are not '
                    'detected', v_job.jobname, v_job.schedule);
                fix := 'python deploy.py schedule --help';
            elsif p_now - v_since > v_period + greatest(interval '30 seconds', v_period / 10) then
                status := 'fail';
                detail := pg_catalog.format('job %s has not completed a run since %s UTC (schedule %L): about %s '
                    'run(s) missed', v_job.jobname,
                    pg_catalog.to_char(v_since at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), v_job.schedule,
                    pg_catalog.floor(extract(epoch from p_now - v_since) / extract(epoch from v_period))::bigint);
                fix := 'see the pg_cron row; then: select status, return_message, start_time from '
                    || pg_catalog.format('cron.job_run_details where jobid = %s order by start_time desc limit 5;',
                        v_job.jobid);
            else
                status := 'ok';
                detail := case when v_job.last_ok is null
                    then pg_catalog.format('job %s has not run yet (schedule %L)', v_job.jobname, v_job.schedule)
                    else pg_catalog.format('job %s last succeeded at %s UTC (schedule %L)', v_job.jobname,
                        pg_catalog.to_char(v_job.last_ok at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), v_job.schedule)
                end;
                fix := null;
            end if;
            return next;
        end loop;
    end if;

    -- The heartbeat: the last complete evaluation.
    v_stale_after := coalesce(p_stale_after, v_settings.heartbeat_stale_after);
    select h.completed_at into v_beat from monitoring.heartbeat as h;
    component := 'heartbeat';
    age_seconds := pg_catalog.round(extract(epoch from p_now - coalesce(v_beat, v_installed_at))::numeric, 1);
    if coalesce(v_beat, v_installed_at) < p_now - v_stale_after then
        status := 'fail';
        detail := case when v_beat is null
            then 'the rule engine has never completed an evaluation'
            else pg_catalog.format('the rule engine last completed an evaluation %s ago (stale after %s): alerts '
                'are not being raised', monitoring.describe_interval(pg_catalog.date_trunc('second', p_now - v_beat)),
                monitoring.describe_interval(v_stale_after))
        end;
        fix := 'see the pg_cron and job supalert-evaluate rows; select * from monitoring.rule_runs order by '
            'evaluated_at desc limit 5;';
    else
        status := 'ok';
        detail := case when v_beat is null then 'no evaluation yet'
            else pg_catalog.format('last evaluation completed %s ago',
                monitoring.describe_interval(pg_catalog.date_trunc('second', p_now - v_beat))) end;
        fix := null;
    end if;
    return next;

    -- The outbox: notifications due long ago that nobody has taken (or taken and dropped).
    select pg_catalog.count(*), min(coalesce(n.lease_until, n.next_attempt_at))
      into v_overdue, v_oldest
      from monitoring.notifications as n
     where (n.status = 'pending' and n.next_attempt_at < p_now - v_settings.overdue_after)
        or (n.status = 'sending' and n.lease_until < p_now - v_settings.overdue_after);
    component := 'outbox';
    age_seconds := pg_catalog.round(extract(epoch from p_now - v_oldest)::numeric, 1);
    if v_overdue > 0 then
        status := 'fail';
        detail := pg_catalog.format('%s notification(s) waiting for %s min, nothing is delivering them', v_overdue,
            pg_catalog.floor(extract(epoch from p_now - v_oldest) / 60)::bigint);
        fix := case when v_dispatch_scheduled
            then 'supalert-dispatch is scheduled: see the pg_net row and the check-alert-triggers function''s logs'
            else 'nothing in the database calls check-alert-triggers: enable pg_net and run python deploy.py secrets '
                'set, or run python deploy.py dispatch every minute from a scheduler' end;
    else
        status := 'ok';
        detail := 'no notification overdue';
        fix := null;
    end if;
    return next;

    -- The database-side dispatcher.
    v_missing := monitoring.dispatch_missing();
    age_seconds := null;
    if not v_dispatch_scheduled then
        component := 'dispatch';
        status := 'warn';
        detail := case when pg_catalog.cardinality(v_missing) > 0
            then 'nothing in the database calls check-alert-triggers (supalert-dispatch is not scheduled): missing '
                || pg_catalog.array_to_string(v_missing, ', ')
            else 'supalert-dispatch is not scheduled although pg_net, Vault and the secrets exist' end;
        fix := case
            when pg_catalog.cardinality(v_missing) = 0 then 'select monitoring.ensure_dispatch_job();'
            when 'the pg_net extension' = any (v_missing) then 'enable pg_net (Dashboard > Database > Extensions), '
                'then python deploy.py secrets set; or run python deploy.py dispatch every minute from a scheduler'
            else 'python deploy.py secrets set --project-url https://<ref>.supabase.co (with ALERT_DISPATCH_SECRET '
                'exported); or run python deploy.py dispatch every minute from a scheduler' end;
        return next;
        return;
    end if;
    component := 'pg_net';
    if not exists (select from pg_catalog.pg_extension where extname = 'pg_net') then
        status := 'fail';
        detail := 'supalert-dispatch is scheduled but pg_net is not installed: its calls fail';
        fix := 'create extension pg_net with schema extensions;';
        return next;
        return;
    end if;
    if not exists (select from pg_catalog.pg_stat_activity as a where a.backend_type ilike '%pg_net%') then
        status := 'fail';
        detail := 'the pg_net worker is not running: supalert-dispatch''s calls are queued and never sent';
        fix := 'select net.worker_restart();';
        return next;
        return;
    end if;
    -- net._http_response is pg_net's (unlogged, kept pg_net.ttl): read through dynamic SQL.
    execute $sql$
        select pg_catalog.count(*) as total,
               pg_catalog.count(*) filter (where h.id is not null and not (h.status_code between 200 and 299))
                 as failed,
               pg_catalog.count(*) filter (where h.id is null and r.requested_at < $1 - interval '2 minutes')
                 as unanswered,
               (pg_catalog.array_agg(pg_catalog.concat_ws(' ', 'HTTP ' || h.status_code,
                    case when h.timed_out then 'timed out' end, h.error_msg) order by r.requested_at desc)
                 filter (where h.id is not null))[1] as latest,
               (pg_catalog.array_agg(h.status_code between 200 and 299 order by r.requested_at desc)
                 filter (where h.id is not null))[1] as latest_ok
          from monitoring.dispatch_requests as r
          left join net._http_response as h on h.id = r.request_id
         where r.requested_at > $1 - interval '15 minutes' and r.requested_at <= $1
    $sql$ into v_requests using p_now;
    if v_requests.latest_ok is false then
        status := 'fail';
        detail := pg_catalog.format('supalert-dispatch''s last call of check-alert-triggers failed (%s); %s of %s '
            'calls in the last 15 min failed', v_requests.latest, v_requests.failed, v_requests.total);
        fix := 'HTTP 401: the Vault secret supalert_dispatch_secret must equal the function''s ALERT_DISPATCH_SECRET '
            '(python deploy.py secrets set); otherwise check supalert_project_url and the function''s logs';
    elsif v_requests.unanswered > 0 and v_requests.latest_ok is null then
        status := 'fail';
        detail := pg_catalog.format('%s call(s) of check-alert-triggers got no answer within 2 minutes',
            v_requests.unanswered);
        fix := 'select net.worker_restart(); and check supalert_project_url';
    else
        status := 'ok';
        detail := pg_catalog.format('pg_net worker running; %s call(s) of check-alert-triggers in the last 15 min, '
            '%s failed', v_requests.total, v_requests.failed);
        fix := null;
    end if;
    return next;
end;
$$;

comment on function monitoring.liveness(timestamptz, interval) is
'Is the monitor alive? One row per part (pg_cron, each job, heartbeat, outbox, dispatcher): ok, warn or fail.';

revoke execute on function monitoring.liveness(timestamptz, interval) from public, anon;
grant execute on function monitoring.liveness(timestamptz, interval) to authenticated, service_role;
-- supalert:end sql/functions/liveness.sql

-- supalert:source sql/functions/schedule_evaluation.sql sha256=f1f4cde9e66d212ca5824591e831eb0de159a0098c75bb8dd1e72a4c7e3730ee
-- monitoring.schedule_evaluation(): returns the pg_cron job id of supalert-evaluate, (re)scheduled at
-- monitoring.settings.evaluate_schedule to evaluate every enabled rule that is due and write the heartbeat. pg_cron
-- alone evaluates where it runs; check-alert-triggers evaluates only where it does not (monitoring.dispatcher_evaluates).
-- Called by the migrations and monitoring.set_schedules; owner only.
create or replace function monitoring.schedule_evaluation()
returns bigint
language sql
set search_path = ''
as $$
    select cron.schedule(
        'supalert-evaluate',
        (select s.evaluate_schedule from monitoring.settings as s),
        'select count(*) from monitoring.evaluate()'
    )
$$;

comment on function monitoring.schedule_evaluation() is
'(Re)schedules pg_cron job supalert-evaluate at monitoring.settings.evaluate_schedule; returns its job id.';

revoke execute on function monitoring.schedule_evaluation() from public, anon, authenticated;
-- supalert:end sql/functions/schedule_evaluation.sql

-- supalert:source sql/functions/schedule_period.sql sha256=15e049f89b683935de5eff2fe2cbe3301573044688340f7662aa9d461306f2c1
-- monitoring.schedule_period(schedule): returns the longest gap between two runs of a pg_cron schedule ('* * * * *',
-- '*/10 * * * *', '17 3 * * *', '0 1 * * 0', '@daily', or pg_cron 1.5+'s '10 seconds'), or null for a schedule it
-- cannot read. For lists and ranges it is an upper bound (the coarsest field that is not a wildcard decides), so a
-- job is never called late before it is. Called by monitoring.liveness; immutable, no data read.
create or replace function monitoring.schedule_period(p_schedule text)
returns interval
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_schedule text := pg_catalog.lower(pg_catalog.btrim(coalesce(p_schedule, '')));
    v_fields text[];
begin
    if v_schedule ~ '^[0-9]+ seconds?$' then
        return pg_catalog.make_interval(secs => pg_catalog.split_part(v_schedule, ' ', 1)::integer);
    end if;
    case v_schedule
        when '@yearly', '@annually' then return interval '366 days';
        when '@monthly' then return interval '31 days';
        when '@weekly' then return interval '7 days';
        when '@daily', '@midnight' then return interval '1 day';
        when '@hourly' then return interval '1 hour';
        else null;
    end case;
    v_fields := pg_catalog.regexp_split_to_array(v_schedule, '\s+');
    if pg_catalog.cardinality(v_fields) <> 5 then
        return null;
    end if;
    if v_fields[4] <> '*' then
        return interval '366 days';
    elsif v_fields[3] <> '*' then
        -- the 31st (or 29th, 30th) skips the months without it: Jan 31 to Mar 31 is 59 days
        return interval '62 days';
    elsif v_fields[5] <> '*' then
        return interval '7 days';
    elsif v_fields[2] ~ '^\*/[0-9]+$' then
        return pg_catalog.make_interval(hours => pg_catalog.split_part(v_fields[2], '/', 2)::integer);
    elsif v_fields[2] <> '*' then
        return interval '1 day';
    elsif v_fields[1] = '*' then
        return interval '1 minute';
    elsif v_fields[1] ~ '^\*/[0-9]+$' then
        return pg_catalog.make_interval(mins => pg_catalog.split_part(v_fields[1], '/', 2)::integer);
    end if;
    return interval '1 hour';
end;
$$;

comment on function monitoring.schedule_period(text) is
'The longest gap between two runs of a pg_cron schedule (an upper bound for lists and ranges); null if unreadable.';

revoke execute on function monitoring.schedule_period(text) from public, anon, authenticated;
-- supalert:end sql/functions/schedule_period.sql

-- supalert:source sql/functions/set_schedules.sql sha256=d9c4e533db349d756b897ee710507486f240e30e2b116e875607a733986d3879
-- monitoring.set_schedules(evaluate, dispatch): returns (job, schedule) for the two jobs after the change. Stores
-- each schedule given (a pg_cron schedule: '* * * * *', '*/5 * * * *', or with pg_cron 1.5+ '10 seconds') in
-- monitoring.settings and reschedules the job; null leaves one as it is. Rules are still evaluated at most once per
-- their evaluation_interval. Callers: `deploy.py schedule`, service_role and database logins (admins only).
create or replace function monitoring.set_schedules(p_evaluate text default null, p_dispatch text default null)
returns table (job text, schedule text)
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_given text;
    v_cron_version integer[];
begin
    perform monitoring.require_admin();
    if not exists (select from pg_catalog.pg_extension where extname = 'pg_cron') then
        raise exception 'pg_cron is not installed, so supalert has no jobs to schedule'
            using errcode = 'object_not_in_prerequisite_state',
                  hint = 'create extension pg_cron with schema pg_catalog; then python deploy.py migrate';
    end if;
    select pg_catalog.string_to_array(pg_catalog.split_part(e.extversion, '-', 1), '.')::integer[]
      into v_cron_version
      from pg_catalog.pg_extension as e where e.extname = 'pg_cron';
    foreach v_given in array array[p_evaluate, p_dispatch] loop
        continue when v_given is null;
        if monitoring.schedule_period(v_given) is null then
            raise exception 'schedule % is not one supalert can read', pg_catalog.quote_literal(v_given)
                using errcode = 'invalid_parameter_value',
                      hint = 'Use a cron schedule such as ''* * * * *'' or ''*/5 * * * *'', or ''10 seconds''.';
        end if;
        if v_given ~* 'seconds?$' and v_cron_version < array[1, 5] then
            raise exception 'pg_cron % has no schedules in seconds (%)', pg_catalog.array_to_string(v_cron_version, '.'),
                pg_catalog.quote_literal(v_given)
                using errcode = 'feature_not_supported',
                      hint = 'Use ''* * * * *'' (every minute), or upgrade to pg_cron 1.5 or later (Supabase has 1.6).';
        end if;
    end loop;
    update monitoring.settings as s
       set evaluate_schedule = coalesce(p_evaluate, s.evaluate_schedule),
           dispatch_schedule = coalesce(p_dispatch, s.dispatch_schedule),
           updated_at = pg_catalog.now();
    if p_evaluate is not null then
        perform monitoring.schedule_evaluation();
    end if;
    if p_dispatch is not null then
        perform monitoring.ensure_dispatch_job();
    end if;
    return query
        select j.jobname::text, j.schedule::text from cron.job as j
         where j.jobname in ('supalert-evaluate', 'supalert-dispatch') order by j.jobname desc;
end;
$$;

comment on function monitoring.set_schedules(text, text) is
'Sets the pg_cron schedules of supalert-evaluate and supalert-dispatch (null keeps one); returns both. Admins only.';

revoke execute on function monitoring.set_schedules(text, text) from public, anon, authenticated;
grant execute on function monitoring.set_schedules(text, text) to service_role;
-- supalert:end sql/functions/set_schedules.sql

-- supalert:source sql/functions/watch.sql sha256=58b83feb27ef06fbc05c7a9f107386c8cbec2ae7b879e71dbe2d02eaa4fe5ac1
-- monitoring.watch(now): returns monitoring.liveness's rows, after raising, repeating or resolving the monitor_down
-- alert from them: firing while any part fails (its message names every failing part), repeated every
-- repeat_interval of the rule for as long as that lasts, resolved (a recovery message on every channel that was
-- told) when all is well again. It is an engine rule routed like any critical alert (the seed's Database Down:
-- email, Slack and SMS). check-alert-triggers calls it on every run, before it delivers, so the alert leaves on
-- that same run. Callers: check-alert-triggers (a database login), service_role.
create or replace function monitoring.watch(p_now timestamptz default pg_catalog.now())
returns table (component text, status text, detail text, fix text, age_seconds numeric)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_checks jsonb;
    v_failing jsonb;
    v_rule monitoring.rules;
begin
    perform monitoring.require_admin();
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(l.*)), '[]'::jsonb)
      into v_checks
      from monitoring.liveness(p_now) as l;
    select coalesce(pg_catalog.jsonb_agg(c.value), '[]'::jsonb)
      into v_failing
      from pg_catalog.jsonb_array_elements(v_checks) as c
     where c.value ->> 'status' = 'fail';
    select r.* into v_rule from monitoring.rules as r where r.key = 'monitor_down' and r.enabled;
    if found then
        perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('supalert:rule:monitor_down', 0));
        perform monitoring.apply_observation(
            v_rule, '{}'::jsonb, pg_catalog.jsonb_array_length(v_failing),
            pg_catalog.jsonb_build_object(
                'summary', case when pg_catalog.jsonb_array_length(v_failing) = 0
                    then 'supalert is watching again: every part of the monitor is healthy'
                    else (select pg_catalog.string_agg(f.value ->> 'detail', '; ')
                            from pg_catalog.jsonb_array_elements(v_failing) as f) end,
                'failing', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                'component', f.value ->> 'component', 'fix', f.value ->> 'fix')), '[]'::jsonb)
                              from pg_catalog.jsonb_array_elements(v_failing) as f)
            ),
            false, p_now
        );
    end if;
    return query
        select x.component, x.status, x.detail, x.fix, x.age_seconds
          from pg_catalog.jsonb_to_recordset(v_checks)
            as x (component text, status text, detail text, fix text, age_seconds numeric);
end;
$$;

comment on function monitoring.watch(timestamptz) is
'monitoring.liveness, after raising, repeating or resolving the monitor_down alert from it. check-alert-triggers.';

revoke execute on function monitoring.watch(timestamptz) from public, anon, authenticated;
grant execute on function monitoring.watch(timestamptz) to service_role;
-- supalert:end sql/functions/watch.sql

-- supalert:source sql/cron/dispatch_via_pg_net.sql sha256=c65a3b5e2bd34431aaa9c8559b7574e85c799d0c8be8cce2c40426413f1801b5
-- Job supalert-dispatch: at monitoring.settings.dispatch_schedule, calls the check-alert-triggers edge function
-- through pg_net (monitoring.dispatch_via_pg_net, URL and credential read from Vault). pg_net is created where the
-- migrating role may (on Supabase `postgres` may); the job is scheduled as soon as pg_net, Vault and the two secrets
-- exist, here or later by `deploy.py secrets set` or `deploy.py migrate`. The notices say what is missing.
do $$
declare
    v_note text := monitoring.enable_pg_net();
begin
    if v_note is not null then
        raise notice 'supalert: %', v_note;
    end if;
    raise notice 'supalert: %', monitoring.ensure_dispatch_job();
end
$$;
-- supalert:end sql/cron/dispatch_via_pg_net.sql

-- supalert:source sql/cron/evaluate_rules.sql sha256=64dd960812a452fcb5eafc328071eaa2180ce2a8900dbbe8357ed78903871f03
-- Job supalert-evaluate: at monitoring.settings.evaluate_schedule (every minute unless `deploy.py schedule` changed
-- it; pg_cron 1.5+ can run it every few seconds), evaluates every enabled rule that is due and writes the heartbeat.
-- Scheduling by name updates the job in place, so re-running this file is safe.
select monitoring.schedule_evaluation();
-- supalert:end sql/cron/evaluate_rules.sql
