-- monitoring.rules_schedule_custom(): trigger after a change of monitoring.rules; returns null. Keeps one pg_cron
-- job per enabled custom rule (metric_function metric_custom_sql), supalert-rule-<key>, every evaluation_interval,
-- whose command sets the rule's statement timeout (params.timeout_seconds) before it evaluates the rule: pg_cron
-- over libpq runs the two as separate statements of one query, so the timeout bounds that one evaluation (a
-- timeout set inside a function arms no timer). Checks params and refuses where pg_cron is not installed, naming
-- the rule and the fix. A disabled or removed custom rule loses its job. Trigger only.
create or replace function monitoring.rules_schedule_custom()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_schedule text;
    v_timeout numeric;
    v_cron integer[];
begin
    if tg_op <> 'INSERT' and old.metric_function = 'metric_custom_sql' and (
        tg_op = 'DELETE' or not new.enabled or new.metric_function is distinct from 'metric_custom_sql'
    ) and exists (select from pg_catalog.pg_extension where extname = 'pg_cron') then
        perform cron.unschedule(j.jobid)
           from cron.job as j
          where j.jobname = 'supalert-rule-' || old.key and j.username = current_user;
    end if;
    if tg_op = 'DELETE' or new.metric_function is distinct from 'metric_custom_sql' then
        return null;
    end if;

    if pg_catalog.btrim(coalesce(new.params ->> 'sql', '')) = '' then
        raise exception 'custom rule %: params.sql is empty', new.key
            using errcode = 'check_violation', column = 'params', table = 'rules', schema = 'monitoring',
                  hint = 'Add it with: python deploy.py rules add KEY --sql "select ... as value" --threshold N';
    end if;
    v_timeout := case when pg_catalog.jsonb_typeof(new.params -> 'timeout_seconds') = 'number'
                      then (new.params ->> 'timeout_seconds')::numeric end;
    if v_timeout is null or v_timeout <> pg_catalog.trunc(v_timeout) or v_timeout not between 1 and 300
       or pg_catalog.make_interval(secs => v_timeout::double precision) >= new.evaluation_interval then
        raise exception 'custom rule %: params.timeout_seconds % must be a whole number of seconds from 1 to 300, '
            'shorter than its evaluation_interval %', new.key, coalesce(new.params ->> 'timeout_seconds', 'null'),
            monitoring.describe_interval(new.evaluation_interval)
            using errcode = 'check_violation', column = 'params', table = 'rules', schema = 'monitoring',
                  hint = 'e.g. --timeout 5s (the default) with --every 1m';
    end if;
    v_schedule := monitoring.custom_rule_schedule(new.evaluation_interval);
    if v_schedule is null then
        raise exception 'custom rule %: evaluation_interval % is not one a pg_cron schedule repeats evenly',
            new.key, monitoring.describe_interval(new.evaluation_interval)
            using errcode = 'check_violation', column = 'evaluation_interval', table = 'rules', schema = 'monitoring',
                  hint = 'Use 1 to 59 seconds, minutes that divide an hour (1, 2, 5, 10, 15, 30), hours that divide '
                         'a day, or 1 day.';
    end if;
    select pg_catalog.string_to_array(pg_catalog.split_part(e.extversion, '-', 1), '.')::integer[]
      into v_cron
      from pg_catalog.pg_extension as e where e.extname = 'pg_cron';
    if v_cron is null then
        raise exception 'custom rule %: pg_cron is not installed in this database, and a custom rule runs as its '
            'own pg_cron job (under its own statement timeout)', new.key
            using errcode = 'object_not_in_prerequisite_state',
                  hint = 'Enable pg_cron (Dashboard > Database > Extensions, or create extension pg_cron), then add the rule again.';
    end if;
    if v_schedule like '% seconds' and v_cron < array[1, 5] then
        raise exception 'custom rule %: pg_cron % has no schedules in seconds (evaluation_interval %)', new.key,
            pg_catalog.array_to_string(v_cron, '.'), monitoring.describe_interval(new.evaluation_interval)
            using errcode = 'feature_not_supported',
                  hint = 'Use an evaluation_interval of a minute or more, or pg_cron 1.5 or later (Supabase has 1.6).';
    end if;
    if new.enabled then
        perform cron.schedule(
            'supalert-rule-' || new.key,
            v_schedule,
            pg_catalog.format(
                'set statement_timeout = %L; select count(*) from monitoring.evaluate(%L)',
                v_timeout::integer || 's', new.key
            )
        );
    end if;
    return null;
end;
$$;

comment on function monitoring.rules_schedule_custom() is
'Trigger: one pg_cron job supalert-rule-<key> per enabled custom SQL rule, under its statement timeout.';

revoke execute on function monitoring.rules_schedule_custom() from public, anon, authenticated;
