-- monitoring.metric_db_replication_slots(rule, now): one series per replication slot (labels {slot}). params.measure
-- 'inactive' is 1 while no client uses the slot, else 0; 'retained_wal_mb' is the WAL the slot keeps on disk, in
-- MB (from its restart_lsn to the current WAL position). 0 with no labels when there is no slot.
-- Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_db_replication_slots(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_measure text := p_rule.params ->> 'measure';
begin
    if v_measure is null or v_measure not in ('inactive', 'retained_wal_mb') then
        raise exception 'rule %: params.measure % is not inactive or retained_wal_mb',
            p_rule.key, coalesce(v_measure, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    return query
    with slots as (
        select s.slot_name, s.slot_type, s.plugin, s.database, s.active, s.wal_status,
               coalesce(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.restart_lsn), 0) as retained
          from pg_catalog.pg_replication_slots as s
    )
    select
        case when v_measure = 'inactive' then (case when s.active then 0 else 1 end)::numeric
             else pg_catalog.round((s.retained / 1048576.0)::numeric, 1) end,
        pg_catalog.jsonb_build_object('slot', s.slot_name),
        pg_catalog.jsonb_build_object(
            'slot_type', s.slot_type,
            'plugin', s.plugin,
            'database', s.database,
            'active', s.active,
            'wal_status', s.wal_status,
            'retained_wal_bytes', s.retained,
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', pg_catalog.format('%s slot %s is %s and holds %s of WAL', s.slot_type, s.slot_name,
                case when s.active then 'in use' else 'inactive' end,
                pg_catalog.pg_size_pretty(s.retained))
        ),
        false
      from slots as s
    union all
    select 0, '{}'::jsonb, '{"summary": "no replication slots"}'::jsonb, false
     where not exists (select from slots);
end;
$$;

comment on function monitoring.metric_db_replication_slots(monitoring.rules, timestamptz) is
'Metric: per replication slot, inactive (1/0) or the WAL it retains in MB (params.measure).';

revoke execute on function monitoring.metric_db_replication_slots(monitoring.rules, timestamptz)
from public, anon, authenticated;
