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
    -- One row of supalert's pg_net calls (typed: plpgsql_check cannot see a dynamic query's record).
    v_calls_total bigint;
    v_calls_failed bigint;
    v_calls_unanswered bigint;
    v_calls_latest text;
    v_calls_latest_ok boolean;
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
    -- net._http_response is pg_net's (unlogged, kept pg_net.ttl): read through dynamic SQL, its schema given to
    -- format() so that plpgsql_check (`supabase db lint`) does not report it missing where pg_net is not enabled.
    execute pg_catalog.format($sql$
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
          left join %I._http_response as h on h.id = r.request_id
         where r.requested_at > $1 - interval '15 minutes' and r.requested_at <= $1
    $sql$, 'net')
        into v_calls_total, v_calls_failed, v_calls_unanswered, v_calls_latest, v_calls_latest_ok using p_now;
    if v_calls_latest_ok is false then
        status := 'fail';
        detail := pg_catalog.format('supalert-dispatch''s last call of check-alert-triggers failed (%s); %s of %s '
            'calls in the last 15 min failed', v_calls_latest, v_calls_failed, v_calls_total);
        fix := 'HTTP 401: the Vault secret supalert_dispatch_secret must equal the function''s ALERT_DISPATCH_SECRET '
            '(python deploy.py secrets set); otherwise check supalert_project_url and the function''s logs';
    elsif v_calls_unanswered > 0 and v_calls_latest_ok is null then
        status := 'fail';
        detail := pg_catalog.format('%s call(s) of check-alert-triggers got no answer within 2 minutes',
            v_calls_unanswered);
        fix := 'select net.worker_restart(); and check supalert_project_url';
    else
        status := 'ok';
        detail := pg_catalog.format('pg_net worker running; %s call(s) of check-alert-triggers in the last 15 min, '
            '%s failed', v_calls_total, v_calls_failed);
        fix := null;
    end if;
    return next;
end;
$$;

comment on function monitoring.liveness(timestamptz, interval) is
'Is the monitor alive? One row per part (pg_cron, each job, heartbeat, outbox, dispatcher): ok, warn or fail.';

revoke execute on function monitoring.liveness(timestamptz, interval) from public, anon;
grant execute on function monitoring.liveness(timestamptz, interval) to authenticated, service_role;
