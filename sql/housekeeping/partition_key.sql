-- monitoring.partition_key(table): returns the name of the timestamptz column p_table is range-partitioned on.
-- Raises, naming the table and the fix, when p_table is not range-partitioned on one timestamptz column.
-- Owner only (the partition maintenance functions).
create or replace function monitoring.partition_key(p_table regclass)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
    v_column text;
begin
    select a.attname into v_column
      from pg_catalog.pg_partitioned_table as p
      join pg_catalog.pg_attribute as a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0]
     where p.partrelid = p_table and p.partstrat = 'r' and p.partnatts = 1
       and a.atttypid = 'pg_catalog.timestamptz'::pg_catalog.regtype;
    if v_column is null then
        raise exception '% is not partitioned by range on one timestamptz column', p_table
            using errcode = 'wrong_object_type',
                  hint = 'Convert it with select monitoring.partition_by_day(''<table>'', ''<time column>'');';
    end if;
    return v_column;
end;
$$;

comment on function monitoring.partition_key(regclass) is
'The timestamptz column a range-partitioned table is partitioned on; raises otherwise. Owner only.';

revoke execute on function monitoring.partition_key(regclass) from public, anon, authenticated;
