-- monitoring.drop_detached_partitions(): returns how many tables it dropped. Drops the tables of schema
-- supalert_partitions that monitoring.maintain_partitions detached as expired (marked by their comment), in a
-- transaction that locks only them. A partition a DBA detached by hand to keep is not touched. Owner only
-- (monitoring.maintain_partitions runs it first; a DBA may run it to free the space at once).
create or replace function monitoring.drop_detached_partitions()
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_table regclass;
    v_dropped integer := 0;
begin
    for v_table in
        select c.oid::regclass
          from pg_catalog.pg_class as c
         where c.relnamespace = 'supalert_partitions'::pg_catalog.regnamespace
           and c.relkind = 'r' and not c.relispartition
           and pg_catalog.obj_description(c.oid, 'pg_class') like 'supalert: expired, detached from %'
         order by c.relname
    loop
        execute pg_catalog.format('drop table %s', v_table);
        v_dropped := v_dropped + 1;
    end loop;
    return v_dropped;
end;
$$;

comment on function monitoring.drop_detached_partitions() is
'Drops the expired partitions monitoring.maintain_partitions detached. Owner only.';

revoke execute on function monitoring.drop_detached_partitions() from public, anon, authenticated;
