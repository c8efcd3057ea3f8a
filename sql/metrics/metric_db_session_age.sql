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
