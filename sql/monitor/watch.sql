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
begin
    perform monitoring.require_admin();
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(l.*)), '[]'::jsonb)
      into v_checks
      from monitoring.liveness(p_now) as l;
    select coalesce(pg_catalog.jsonb_agg(c.value), '[]'::jsonb)
      into v_failing
      from pg_catalog.jsonb_array_elements(v_checks) as c
     where c.value ->> 'status' = 'fail';
    perform monitoring.observe_engine_rule(
        'monitor_down', '{}'::jsonb, pg_catalog.jsonb_array_length(v_failing) > 0,
        pg_catalog.jsonb_build_object(
            'summary', case when pg_catalog.jsonb_array_length(v_failing) = 0
                then 'supalert is watching again: every part of the monitor is healthy'
                else (select pg_catalog.string_agg(f.value ->> 'detail', '; ')
                        from pg_catalog.jsonb_array_elements(v_failing) as f) end,
            'failing', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                            'component', f.value ->> 'component', 'fix', f.value ->> 'fix')), '[]'::jsonb)
                          from pg_catalog.jsonb_array_elements(v_failing) as f)
        ),
        p_now,
        p_value => pg_catalog.jsonb_array_length(v_failing)
    );
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
