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
