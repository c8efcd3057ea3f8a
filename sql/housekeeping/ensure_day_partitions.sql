-- monitoring.ensure_day_partitions(table, from, to): returns how many partitions it created. Gives every UTC day
-- from p_from's day through p_to's day its own partition of p_table, supalert_partitions.<table>_<yyyymmdd>. Rows
-- of that day already in the default partition move into the new partition in the same transaction, so none is
-- lost. The partition is built detached and then attached, which locks the parent only in SHARE UPDATE EXCLUSIVE
-- mode: inserts and reads carry on. A table without a default partition gets one first,
-- supalert_partitions.<table>_default, so an insert for a day with no partition never fails. Every partition it makes
-- has RLS on and no grants. Owner only (monitoring.maintain_partitions, conversion, benchmarks).
create or replace function monitoring.ensure_day_partitions(p_table regclass, p_from timestamptz, p_to timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_column text := monitoring.partition_key(p_table);
    v_parent_name text;
    v_default regclass;
    v_day date;
    v_lower timestamptz;
    v_upper timestamptz;
    v_name text;
    v_partition regclass;
    v_created integer := 0;
begin
    if p_from > p_to then
        raise exception 'ensure_day_partitions(%): from % is after to %', p_table, p_from, p_to
            using errcode = 'invalid_parameter_value';
    end if;
    select c.relname, nullif(p.partdefid, 0)::regclass into v_parent_name, v_default
      from pg_catalog.pg_class as c
      join pg_catalog.pg_partitioned_table as p on p.partrelid = c.oid
     where c.oid = p_table;
    if v_default is null then
        execute pg_catalog.format('create table supalert_partitions.%I partition of %s default',
                                  v_parent_name || '_default', p_table);
        v_default := pg_catalog.format('supalert_partitions.%I', v_parent_name || '_default')::regclass;
    end if;
    for v_day in
        select d::date from pg_catalog.generate_series(
            (p_from at time zone 'UTC')::date::timestamp, (p_to at time zone 'UTC')::date::timestamp, interval '1 day'
        ) as d
    loop
        v_lower := v_day::timestamp at time zone 'UTC';
        v_upper := (v_day + 1)::timestamp at time zone 'UTC';
        v_name := pg_catalog.format('%s_%s', v_parent_name, pg_catalog.to_char(v_day, 'YYYYMMDD'));
        v_partition := pg_catalog.to_regclass(pg_catalog.format('supalert_partitions.%I', v_name));
        if v_partition is not null then
            continue when exists (
                select from pg_catalog.pg_inherits as i where i.inhrelid = v_partition and i.inhparent = p_table
            );
            raise exception 'supalert_partitions.% exists but is not a partition of %', v_name, p_table
                using errcode = 'duplicate_table',
                      hint = 'Attach it (alter table ... attach partition) or drop it, then run the maintenance again.';
        end if;
        execute pg_catalog.format(
            'create table supalert_partitions.%I (like %s including defaults including constraints)', v_name, p_table
        );
        execute pg_catalog.format(
            'with moved as (delete from %1$s where %2$I >= $1 and %2$I < $2 returning *)'
            ' insert into supalert_partitions.%3$I select * from moved',
            v_default, v_column, v_name
        ) using v_lower, v_upper;
        execute pg_catalog.format(
            'alter table %s attach partition supalert_partitions.%I for values from (%L) to (%L)',
            p_table, v_name, v_lower, v_upper
        );
        v_created := v_created + 1;
    end loop;
    -- Unreachable for API roles anyway (no usage on the schema); RLS without policies denies direct access too.
    for v_partition in
        select c.oid::regclass
          from pg_catalog.pg_inherits as i join pg_catalog.pg_class as c on c.oid = i.inhrelid
         where i.inhparent = p_table and not c.relrowsecurity
    loop
        execute pg_catalog.format('alter table %s enable row level security', v_partition);
        execute pg_catalog.format('revoke all on table %s from public, anon, authenticated, service_role', v_partition);
    end loop;
    return v_created;
end;
$$;

comment on function monitoring.ensure_day_partitions(regclass, timestamptz, timestamptz) is
'Creates the missing day partitions of a table for a time range, moving their rows out of the default. Owner only.';

revoke execute on function monitoring.ensure_day_partitions(regclass, timestamptz, timestamptz)
from public, anon, authenticated;
