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
