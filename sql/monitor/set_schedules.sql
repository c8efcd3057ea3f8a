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
