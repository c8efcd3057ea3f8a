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
