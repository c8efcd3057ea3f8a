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
