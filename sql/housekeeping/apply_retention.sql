-- monitoring.apply_retention(now, max batches, table): returns the rows deleted. For each enabled row of
-- monitoring.retention_policies (or only p_table), deletes rows whose time column is older than `keep` (and that
-- meet only_where), batch_size rows at a time through the time-column index, at most p_max_batches batches per
-- table, and logs the run in monitoring.retention_runs. Each call is one short transaction with bounded work;
-- the every-10-minutes job catches up on a backlog over several runs instead of holding locks for long. Tables
-- kept in day partitions are skipped: monitoring.maintain_partitions drops their expired partitions.
-- Owner only (pg_cron; public.cleanup_rate_limit_logs).
create or replace function monitoring.apply_retention(
    p_now timestamptz default pg_catalog.now(),
    p_max_batches integer default 20,
    p_table text default null
)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    v_policy monitoring.retention_policies;
    v_deleted bigint;
    v_table_deleted bigint;
    v_batches integer;
    v_total bigint := 0;
begin
    if p_table is not null and not exists (
        select from monitoring.retention_policies as r where r.table_name = p_table
    ) then
        raise exception 'no retention policy for %', p_table
            using errcode = 'no_data_found', hint = 'See select * from monitoring.retention_policies;';
    end if;
    for v_policy in
        select r.* from monitoring.retention_policies as r
         where r.enabled and (p_table is null or r.table_name = p_table)
         order by r.table_name
    loop
        continue when pg_catalog.to_regclass(v_policy.table_name) is null;
        -- Tables kept in day partitions lose whole partitions instead (monitoring.maintain_partitions).
        continue when exists (select from monitoring.partitioned_tables as k where k.table_name = v_policy.table_name)
            and exists (select from pg_catalog.pg_partitioned_table as p
                         where p.partrelid = pg_catalog.to_regclass(v_policy.table_name));
        v_table_deleted := 0;
        v_batches := 0;
        loop
            execute pg_catalog.format(
                'delete from %1$s where ctid = any (array(select ctid from %1$s where %2$I < $1 and (%3$s) limit $2))',
                pg_catalog.to_regclass(v_policy.table_name), v_policy.time_column,
                coalesce(v_policy.only_where, 'true')
            ) using p_now - v_policy.keep, v_policy.batch_size;
            get diagnostics v_deleted = row_count;
            v_table_deleted := v_table_deleted + v_deleted;
            v_batches := v_batches + 1;
            exit when v_deleted < v_policy.batch_size or v_batches >= p_max_batches;
        end loop;
        insert into monitoring.retention_runs (table_name, deleted, batches, ran_at)
        values (v_policy.table_name, v_table_deleted, v_batches, p_now);
        v_total := v_total + v_table_deleted;
    end loop;
    return v_total;
end;
$$;

comment on function monitoring.apply_retention(timestamptz, integer, text) is
'Deletes rows past their retention in bounded batches; logs monitoring.retention_runs. Owner only (pg_cron).';

revoke execute on function monitoring.apply_retention(timestamptz, integer, text) from public, anon, authenticated;
