-- monitoring.maintain_partitions(now, table): returns one row per table kept (monitoring.partitioned_tables, or only
-- p_table). For each: creates the day partitions from today through `premake` ahead; moves rows that landed in the
-- default partition into partitions of their own day (unless that day is past the premake horizon: far-future rows
-- wait in the default until their day comes within it); and, when the table has an enabled retention policy,
-- detaches every partition wholly older than now - keep (its rows leave the table at once; the next run drops the
-- detached table, see monitoring.drop_detached_partitions) and deletes expired rows from the default partition (at
-- most 50,000 a run). Detaching locks the parent for a moment; lock_timeout (50 ms) keeps inserts from queueing
-- behind a detach that waits on a long query: it is skipped, counted in lock_timeouts and retried on the next run.
-- Each run is logged in monitoring.retention_runs. Owner only (pg_cron job supalert-partitions).
create or replace function monitoring.maintain_partitions(
    p_now timestamptz default pg_catalog.now(),
    p_table text default null
)
returns table (
    table_name text, partitions_created integer, partitions_dropped integer, rows_deleted bigint, lock_timeouts integer
)
language plpgsql
set search_path = ''
set lock_timeout = '50ms'
as $$
declare
    v_kept monitoring.partitioned_tables;
    v_table regclass;
    v_column text;
    v_default regclass;
    v_cutoff timestamptz;
    v_day date;
    v_partition record;
    v_created integer;
    v_dropped integer;
    v_deleted bigint;
    v_timeouts integer;
begin
    if p_table is not null and not exists (
        select from monitoring.partitioned_tables as k where k.table_name = p_table
    ) then
        raise exception '% is not kept in daily partitions', p_table
            using errcode = 'no_data_found',
                  hint = 'See select * from monitoring.partitioned_tables; convert a table with monitoring.partition_by_day().';
    end if;
    -- Partitions detached by an earlier run: their rows left the table then, their files go now, without a lock on
    -- the parent (a drop in the same transaction as the detach would hold that lock while the files are unlinked).
    perform monitoring.drop_detached_partitions();
    for v_kept in
        select k.* from monitoring.partitioned_tables as k
         where p_table is null or k.table_name = p_table
         order by k.table_name
    loop
        v_table := pg_catalog.to_regclass(v_kept.table_name);
        continue when v_table is null;
        v_column := monitoring.partition_key(v_table);
        v_created := 0;
        v_dropped := 0;
        v_deleted := 0;
        v_timeouts := 0;
        select p_now - r.keep into v_cutoff
          from monitoring.retention_policies as r
         where r.table_name = v_kept.table_name and r.enabled;

        begin
            v_created := v_created + monitoring.ensure_day_partitions(v_table, p_now, p_now + v_kept.premake);
        exception when lock_not_available then
            v_timeouts := v_timeouts + 1;
        end;

        select nullif(p.partdefid, 0)::regclass into v_default
          from pg_catalog.pg_partitioned_table as p where p.partrelid = v_table;
        if v_default is not null then
            for v_day in execute pg_catalog.format(
                'select distinct (%1$I at time zone ''UTC'')::date from %2$s where %1$I >= $1 and %1$I < $2 order by 1',
                v_column, v_default
            ) using coalesce(v_cutoff, '-infinity'), p_now + v_kept.premake
            loop
                begin
                    v_created := v_created + monitoring.ensure_day_partitions(
                        v_table, v_day::timestamp at time zone 'UTC', v_day::timestamp at time zone 'UTC');
                exception when lock_not_available then
                    v_timeouts := v_timeouts + 1;
                end;
            end loop;
        end if;

        if v_cutoff is not null then
            for v_partition in
                select b.partition, b.upper_bound
                  from (
                      select i.inhrelid::regclass as partition,
                             pg_catalog.substring(
                                 pg_catalog.pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'
                             )::timestamptz as upper_bound
                        from pg_catalog.pg_inherits as i
                        join pg_catalog.pg_class as c on c.oid = i.inhrelid
                       where i.inhparent = v_table and i.inhrelid <> coalesce(v_default, 0)
                  ) as b
                 where b.upper_bound <= v_cutoff
                 order by b.upper_bound
            loop
                begin
                    execute pg_catalog.format('alter table %s detach partition %s', v_table, v_partition.partition);
                    execute pg_catalog.format('comment on table %s is %L', v_partition.partition,
                        pg_catalog.format('supalert: expired, detached from %s at %s; dropped by the next maintenance',
                                          v_table, p_now));
                    v_dropped := v_dropped + 1;
                exception when lock_not_available then
                    v_timeouts := v_timeouts + 1;
                end;
            end loop;
            if v_default is not null then
                execute pg_catalog.format(
                    'delete from %1$s where ctid = any (array(select ctid from %1$s where %2$I < $1 limit 50000))',
                    v_default, v_column
                ) using v_cutoff;
                get diagnostics v_deleted = row_count;
            end if;
            insert into monitoring.retention_runs (table_name, deleted, batches, ran_at, partitions_dropped)
            values (v_kept.table_name, v_deleted, 1, p_now, v_dropped);
        end if;

        table_name := v_kept.table_name;
        partitions_created := v_created;
        partitions_dropped := v_dropped;
        rows_deleted := v_deleted;
        lock_timeouts := v_timeouts;
        return next;
    end loop;
end;
$$;

comment on function monitoring.maintain_partitions(timestamptz, text) is
'Creates day partitions ahead, empties the default partition into them, detaches expired ones. Owner only.';

revoke execute on function monitoring.maintain_partitions(timestamptz, text) from public, anon, authenticated;
