-- 20261130022109_telemetry_partitions_and_rollup: written by `python deploy.py new-migration telemetry_partitions_and_rollup`.
-- Blocks between supalert:source and supalert:end are copies of sql/; change sql/ and generate a new
-- migration instead of editing them. Hand-written statements may go above or below the blocks.

-- supalert:source sql/functions/apply_retention.sql sha256=eedba6e8f2d6e46e5db306c57cc4e3f7460675a0d24cd9d138978fa8cec00426
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
-- supalert:end sql/functions/apply_retention.sql

-- supalert:source sql/functions/breaches.sql sha256=e2fdc02a2990eea005dfae7017df521a7607cd809c62117a056492725a8f9860
-- monitoring.breaches(value, comparison, threshold): whether `p_value` is past `p_threshold` in the direction of
-- `p_comparison` ('>', '>=', '<', '<='); null when the value is null. Used by the engine for both the firing
-- threshold and the resolve threshold. Engine only.
create or replace function monitoring.breaches(p_value numeric, p_comparison text, p_threshold numeric)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
begin
    return case p_comparison
        when '>' then p_value > p_threshold
        when '>=' then p_value >= p_threshold
        when '<' then p_value < p_threshold
        when '<=' then p_value <= p_threshold
    end;
end;
$$;

comment on function monitoring.breaches(numeric, text, numeric) is
'True when p_value is past p_threshold in the direction of p_comparison. Engine helper.';

revoke execute on function monitoring.breaches(numeric, text, numeric) from public, anon, authenticated;
-- supalert:end sql/functions/breaches.sql

-- supalert:source sql/functions/describe_interval.sql sha256=da7e2d61cca550c624df26f5b719465cb85d914a6339c5a5f330e46efe1ad910
-- monitoring.describe_interval(interval): the interval in words for messages ('1 hour', '15 minutes', '30 days',
-- '1 day 2 hours'), where Postgres would print '01:00:00'. Immutable helper for the metric functions' summaries.
create or replace function monitoring.describe_interval(p_interval interval)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
    return (
        select coalesce(
            nullif(pg_catalog.concat_ws(' ',
                case when p.days > 0 then p.days || ' day' || case when p.days > 1 then 's' else '' end end,
                case when p.hours > 0 then p.hours || ' hour' || case when p.hours > 1 then 's' else '' end end,
                case when p.minutes > 0 then p.minutes || ' minute' || case when p.minutes > 1 then 's' else '' end end,
                case when p.seconds > 0 then p.seconds || ' second' || case when p.seconds > 1 then 's' else '' end end
            ), ''),
            '0 seconds'
        )
        from (
            select
                pg_catalog.floor(extract(epoch from p_interval) / 86400)::bigint as days,
                pg_catalog.floor(pg_catalog.mod(extract(epoch from p_interval), 86400) / 3600)::bigint as hours,
                pg_catalog.floor(pg_catalog.mod(extract(epoch from p_interval), 3600) / 60)::bigint as minutes,
                pg_catalog.floor(pg_catalog.mod(extract(epoch from p_interval), 60))::bigint as seconds
        ) as p
    );
end;
$$;

comment on function monitoring.describe_interval(interval) is
'An interval in words (1 hour, 15 minutes) for alert messages.';

revoke execute on function monitoring.describe_interval(interval) from public, anon, authenticated;
-- supalert:end sql/functions/describe_interval.sql

-- supalert:source sql/functions/drop_detached_partitions.sql sha256=a28466651a7970e2884ebf8e82f94c56f3de0058b759fc352d4fe08e07733196
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
-- supalert:end sql/functions/drop_detached_partitions.sql

-- supalert:source sql/functions/ensure_day_partitions.sql sha256=c06844a5f0071ab2df51e0b816ab47f8f1de04d5439a9c92a506af5eef7c06aa
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
-- supalert:end sql/functions/ensure_day_partitions.sql

-- supalert:source sql/functions/evaluate.sql sha256=8e6666b9263dde937867fe9be6301f129f10a4e08c09ee77e49d9735e2a4b3c8
-- monitoring.evaluate(rule default null, now default now()): one row per series evaluated
-- (rule, labels, value, threshold, state, alert_id, summary), so a DBA sees the answer in psql.
-- With no rule: every enabled rule that is due (its evaluation_interval has passed since its last run), then the
-- heartbeat. With a rule key: that rule now, due or not (a disabled rule is reported, not evaluated).
-- Each rule runs under its own advisory lock (overlapping runs, e.g. pg_cron and a DBA, never double-fire) and in
-- its own subtransaction: a rule that raises is logged, raises one rule_error alert, and the others still run.
-- Callers: pg_cron, deploy.py, service_role, and admins through the public check_* functions.
create or replace function monitoring.evaluate(p_rule text default null, p_now timestamptz default pg_catalog.now())
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
security definer
set search_path = ''
-- The rules' queries are small, but a plan over many partitions (a generic one, or a no-data look at the whole
-- table) can be estimated past jit_above_cost: compiling it would cost about 100 ms a call for nothing.
set jit = off
as $$
#variable_conflict use_column
declare
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_rule monitoring.rules;
    v_error_rule monitoring.rules;
    v_evaluated integer := 0;
    v_failed integer := 0;
    v_message text;
    v_sqlstate text;
    v_rule_started timestamptz;
    v_error_alert uuid;
begin
    perform monitoring.require_admin();
    if p_rule is not null and not exists (select from monitoring.rules as r where r.key = p_rule) then
        raise exception 'unknown rule %', pg_catalog.quote_literal(p_rule)
            using errcode = 'no_data_found', hint = 'List the rules with: select key from monitoring.rules;';
    end if;
    -- Closed hours of today's edge-function calls, so the daily quota rule reads only the open ones.
    perform monitoring.rollup_function_calls(p_now);

    for v_rule in
        select r.*
          from monitoring.rules as r
         where r.kind = 'metric'
           and (r.key = p_rule or (p_rule is null and r.enabled))
         order by r.key
    loop
        if not v_rule.enabled then
            rule := v_rule.key;
            labels := '{}'::jsonb;
            value := null;
            threshold := v_rule.threshold;
            state := 'disabled';
            alert_id := null;
            summary := 'rule is disabled (monitoring.rules.enabled = false)';
            return next;
            continue;
        end if;
        -- Keys are taken in key order by every caller, so two evaluations cannot deadlock.
        perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('supalert:rule:' || v_rule.key, 0));
        -- Re-checked under the lock: a run that waited for another sees its work and skips a rule not yet due.
        continue when p_rule is null and exists (
            select from monitoring.rule_runs as rr
             where rr.rule_key = v_rule.key
               and rr.evaluated_at <= p_now
               -- 10 s of slack: pg_cron starts a minute job a little early or late
               and rr.evaluated_at > p_now - v_rule.evaluation_interval + interval '10 seconds'
        );
        v_evaluated := v_evaluated + 1;
        v_rule_started := pg_catalog.clock_timestamp();
        begin
            return query select * from monitoring.evaluate_rule(v_rule, p_now);
        exception when others then
            get stacked diagnostics v_message = message_text, v_sqlstate = returned_sqlstate;
            v_failed := v_failed + 1;
            insert into monitoring.rule_runs (rule_key, evaluated_at, outcome, duration_ms, error, sqlstate)
            values (
                v_rule.key, p_now, 'error',
                extract(epoch from pg_catalog.clock_timestamp() - v_rule_started) * 1000, v_message, v_sqlstate
            );
            select r.* into v_error_rule from monitoring.rules as r where r.key = 'rule_error' and r.enabled;
            v_error_alert := null;
            if found then
                select o.alert_id
                  into v_error_alert
                  from monitoring.apply_observation(
                      v_error_rule,
                      pg_catalog.jsonb_build_object('rule', v_rule.key),
                      1,
                      pg_catalog.jsonb_build_object(
                          'summary', pg_catalog.format('rule %s failed: %s', v_rule.key, v_message),
                          'sqlstate', v_sqlstate),
                      false,
                      p_now
                  ) as o;
            end if;
            rule := v_rule.key;
            labels := '{}'::jsonb;
            value := null;
            threshold := v_rule.threshold;
            state := 'error';
            alert_id := v_error_alert;
            summary := pg_catalog.format('%s (SQLSTATE %s)', v_message, v_sqlstate);
            return next;
        end;
    end loop;

    if p_rule is null then
        insert into monitoring.heartbeat as h (
            id, last_evaluated_at, completed_at, duration_ms, rules_evaluated, rules_failed
        ) values (
            true, p_now, pg_catalog.clock_timestamp(),
            extract(epoch from pg_catalog.clock_timestamp() - v_started) * 1000, v_evaluated, v_failed
        )
        on conflict (id) do update
           set last_evaluated_at = excluded.last_evaluated_at,
               completed_at = excluded.completed_at,
               duration_ms = excluded.duration_ms,
               rules_evaluated = excluded.rules_evaluated,
               rules_failed = excluded.rules_failed;
    end if;
end;
$$;

comment on function monitoring.evaluate(text, timestamptz) is
'Evaluates due rules (or one rule) at p_now; the only way alerts are created, updated or resolved. Admins only.';

revoke execute on function monitoring.evaluate(text, timestamptz) from public, anon;
grant execute on function monitoring.evaluate(text, timestamptz) to authenticated, service_role;
-- supalert:end sql/functions/evaluate.sql

-- supalert:source sql/functions/function_calls_today.sql sha256=855246d6ac3dff13377a96bafd5633741b65d90f197bec147210bb01cc3ef3a6
-- monitoring.function_calls_today(now): returns the edge-function calls since midnight UTC of p_now's day up to
-- p_now: the rolled-up hours of monitoring.function_call_hours (when they run unbroken from midnight) plus the raw
-- performance_metrics rows after them. Without a rollup it counts every raw row, which is correct, only slower.
-- The one definition of "calls today" (the daily quota rule and the system-health view). Owner only.
create or replace function monitoring.function_calls_today(p_now timestamptz)
returns bigint
language plpgsql
stable
set search_path = ''
-- The raw rows' bounds are plpgsql variables, constants to a custom plan: it prunes to today's partition while
-- planning and opens no other. A generic plan opens every partition, the largest cost of pg_cron's fresh session.
set plan_cache_mode = force_custom_plan
as $$
declare
    v_day_start timestamptz := pg_catalog.date_trunc('day', p_now, 'UTC');
    v_rolled bigint;
    v_rolled_until timestamptz;
    v_hours bigint;
    v_raw bigint;
begin
    select coalesce(pg_catalog.sum(f.calls), 0),
           coalesce(pg_catalog.max(f.hour_start) + interval '1 hour', v_day_start),
           pg_catalog.count(*)
      into v_rolled, v_rolled_until, v_hours
      from monitoring.function_call_hours as f
     where f.hour_start >= v_day_start and f.hour_start + interval '1 hour' <= p_now;
    -- Hours are only usable when they run unbroken from midnight; otherwise count everything raw.
    if v_rolled_until <> v_day_start + v_hours * interval '1 hour' then
        v_rolled := 0;
        v_rolled_until := v_day_start;
    end if;
    select pg_catalog.count(*)
      into v_raw
      from public.performance_metrics as m
     where m.metric_type = 'edge_function' and m.recorded_at >= v_rolled_until and m.recorded_at <= p_now;
    return v_rolled + v_raw;
end;
$$;

comment on function monitoring.function_calls_today(timestamptz) is
'Edge-function calls since midnight UTC up to now (hourly rollup plus raw rows after it). Owner only.';

revoke execute on function monitoring.function_calls_today(timestamptz) from public, anon, authenticated;
-- supalert:end sql/functions/function_calls_today.sql

-- supalert:source sql/functions/maintain_partitions.sql sha256=e414a36c40bc2e99ad07f9aa5012251f9b9b28665597399da0c6472e030a06c9
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
-- supalert:end sql/functions/maintain_partitions.sql

-- supalert:source sql/functions/partition_by_day.sql sha256=41aced5001b5d663c08d682eb727b042aaa9eeaa955912a47e7e83089ab2c1b1
-- monitoring.partition_by_day(table, time column, premake, include): returns what it did, as text. Turns an ordinary table
-- into one partitioned by UTC day on p_column and registers it in monitoring.partitioned_tables; a table already
-- partitioned is only registered. The rows are copied, ids and all, into day partitions (far-future ones into the
-- default partition) under an ACCESS EXCLUSIVE lock, so inserts wait until the migration commits. Carried over:
-- columns, defaults, identity, checks, indexes, unique and foreign keys, RLS policies, grants, owner, comments and
-- publications. The primary key becomes (p_column, old key columns) include (p_include), since a partitioned table's
-- keys must include p_column; it replaces a plain index on p_column alone, and the included columns let the rules
-- answer from the index alone. Refused, naming the object and the way out: more than supalert.convert_max_rows rows
-- (default 1,000,000) copied in one transaction, counting the tables converted before it in the same migration
-- (their locks are held until it commits), triggers, views or foreign keys that depend on the table, unique keys
-- without p_column, exclusion constraints, generated columns, inheritance, column-level grants.
-- See docs/partitioning.md. Owner only (migrations).
create or replace function monitoring.partition_by_day(
    p_table text,
    p_column text,
    p_premake interval default '7 days',
    p_include text[] default '{}'
)
returns text
language plpgsql
set search_path = ''
as $$
declare
    v_table regclass := pg_catalog.to_regclass(p_table);
    v_schema text;
    v_name text;
    v_owner text;
    v_kind "char";
    v_limit bigint := coalesce(nullif(pg_catalog.current_setting('supalert.convert_max_rows', true), ''),
                               '1000000')::bigint;
    -- Rows partition_by_day already copied in this transaction (a transaction-local setting, gone at its end).
    v_copied bigint := coalesce(nullif(pg_catalog.current_setting('supalert.rows_copied', true), ''), '0')::bigint;
    v_rows bigint;
    v_blocker text;
    v_new regclass;
    v_sequences text[] := '{}'::text[];
    v_columns text;
    v_pk text[];
    v_pk_name text;
    v_indexes text[];
    v_policies text[];
    v_constraints text[];
    v_acl aclitem[];
    v_rls boolean;
    v_force_rls boolean;
    v_comment text;
    v_publications text[];
    v_identity record;
    v_last bigint;
    v_statement text;
    v_day date;
    v_created integer := 0;
    v_grant record;
begin
    if v_table is null then
        raise exception 'partition_by_day: there is no table %', p_table using errcode = 'undefined_table';
    end if;
    select n.nspname, c.relname, c.relowner::regrole::text, c.relkind, c.relrowsecurity, c.relforcerowsecurity,
           c.relacl, pg_catalog.obj_description(c.oid, 'pg_class')
      into v_schema, v_name, v_owner, v_kind, v_rls, v_force_rls, v_acl, v_comment
      from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
     where c.oid = v_table;
    if v_kind = 'p' then
        perform monitoring.partition_key(v_table);
        insert into monitoring.partitioned_tables (table_name, premake) values (p_table, p_premake)
        on conflict (table_name) do nothing;
        return pg_catalog.format('%s is already partitioned', p_table);
    elsif v_kind <> 'r' then
        raise exception 'partition_by_day: % is not an ordinary table', p_table using errcode = 'wrong_object_type';
    end if;
    if not exists (
        select from pg_catalog.pg_attribute as a
         where a.attrelid = v_table and a.attname = p_column and not a.attisdropped
           and a.atttypid = 'pg_catalog.timestamptz'::pg_catalog.regtype and a.attnotnull
    ) then
        raise exception 'partition_by_day: % has no not-null timestamptz column %', p_table, p_column
            using errcode = 'invalid_parameter_value';
    end if;

    execute pg_catalog.format('lock table %s in access exclusive mode', v_table);

    select pg_catalog.string_agg(b.what, '; ') into v_blocker
      from (
          select pg_catalog.format('trigger %I', t.tgname) as what
            from pg_catalog.pg_trigger as t where t.tgrelid = v_table and not t.tgisinternal
          union all
          select pg_catalog.format('view %s', r.ev_class::regclass)
            from pg_catalog.pg_depend as d join pg_catalog.pg_rewrite as r on r.oid = d.objid
           where d.refobjid = v_table and d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
             and r.ev_class <> v_table
          union all
          select pg_catalog.format('foreign key %I on %s', k.conname, k.conrelid::regclass)
            from pg_catalog.pg_constraint as k where k.confrelid = v_table and k.contype = 'f'
          union all
          select pg_catalog.format('unique key %I without %I', k.conname, p_column)
            from pg_catalog.pg_constraint as k
           where k.conrelid = v_table and k.contype = 'u'
             and not exists (select from pg_catalog.pg_attribute as a
                              where a.attrelid = v_table and a.attname = p_column and a.attnum = any (k.conkey))
          union all
          select pg_catalog.format('exclusion constraint %I', k.conname)
            from pg_catalog.pg_constraint as k where k.conrelid = v_table and k.contype = 'x'
          union all
          select pg_catalog.format('unique index %s', i.indexrelid::regclass)
            from pg_catalog.pg_index as i
           where i.indrelid = v_table and i.indisunique
             and not exists (select from pg_catalog.pg_constraint as k where k.conindid = i.indexrelid)
          union all
          select pg_catalog.format('generated column %I', a.attname)
            from pg_catalog.pg_attribute as a where a.attrelid = v_table and a.attgenerated <> '' and not a.attisdropped
          union all
          select pg_catalog.format('column grant on %I', a.attname)
            from pg_catalog.pg_attribute as a where a.attrelid = v_table and a.attacl is not null
          union all
          select 'table inheritance'
           where exists (select from pg_catalog.pg_inherits as i where i.inhrelid = v_table or i.inhparent = v_table)
      ) as b;
    if v_blocker is not null then
        raise exception 'cannot partition % automatically: it has %', p_table, v_blocker
            using errcode = 'object_not_in_prerequisite_state',
                  hint = 'Convert it by hand as docs/partitioning.md shows, then migrate again.';
    end if;

    execute pg_catalog.format('select count(*) from %s', v_table) into v_rows;
    if v_copied + v_rows > v_limit then
        raise exception 'not partitioning %: it has % rows%, more than supalert.convert_max_rows (%)', p_table, v_rows,
                        case when v_copied > 0 then pg_catalog.format(' and this migration already copied %s', v_copied) else '' end,
                        v_limit
            using errcode = 'program_limit_exceeded',
                  detail = 'Converting copies every row while holding an ACCESS EXCLUSIVE lock on the table until the migration commits: '
                           'its writers wait, and API requests time out (statement_timeout: anon 3 s, authenticated 8 s). '
                           'The default is a few seconds of copying (bench/README.md: convert_rate).',
                  hint = 'Trim it with retention first, or allow it for one run in a quiet window: '
                         'PGOPTIONS=''-c supalert.convert_max_rows=<rows>'' python deploy.py migrate (docs/partitioning.md).';
    end if;

    -- What the new table must carry over, read before the old one goes.
    select pg_catalog.array_agg(a.attname order by k.ord), pg_catalog.max(c.conname) into v_pk, v_pk_name
      from pg_catalog.pg_constraint as c
     cross join lateral pg_catalog.unnest(c.conkey) with ordinality as k (attnum, ord)
      join pg_catalog.pg_attribute as a on a.attrelid = v_table and a.attnum = k.attnum
     where c.conrelid = v_table and c.contype = 'p';
    -- The new primary key leads with p_column, so a plain index on p_column alone would only slow inserts.
    select pg_catalog.array_agg(pg_catalog.pg_get_indexdef(i.indexrelid) order by i.indexrelid) into v_indexes
      from pg_catalog.pg_index as i
     where i.indrelid = v_table and not i.indisunique
       and not (v_pk is not null and i.indnatts = 1 and i.indexprs is null and i.indpred is null
                and i.indkey[0] = (select a.attnum from pg_catalog.pg_attribute as a
                                    where a.attrelid = v_table and a.attname = p_column)
                and (select c.relam from pg_catalog.pg_class as c where c.oid = i.indexrelid)
                    = (select am.oid from pg_catalog.pg_am as am where am.amname = 'btree'));
    select pg_catalog.array_agg(pg_catalog.format(
               'create policy %I on %s as %s for %s to %s%s%s',
               p.polname, p_table,
               case when p.polpermissive then 'permissive' else 'restrictive' end,
               case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update'
                             when 'd' then 'delete' else 'all' end,
               (select pg_catalog.string_agg(
                           case when r = 0 then 'public' else pg_catalog.quote_ident(r::regrole::text) end, ', ')
                  from pg_catalog.unnest(p.polroles) as r),
               ' using (' || pg_catalog.pg_get_expr(p.polqual, p.polrelid) || ')',
               ' with check (' || pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) || ')'
           ) order by p.polname) into v_policies
      from pg_catalog.pg_policy as p where p.polrelid = v_table;
    -- Unique keys (with p_column) and this table's own foreign keys; LIKE copies neither.
    select pg_catalog.array_agg(pg_catalog.format('alter table %s add constraint %I %s', p_table, k.conname,
                                                  pg_catalog.pg_get_constraintdef(k.oid)) order by k.conname)
      into v_constraints
      from pg_catalog.pg_constraint as k
     where k.conrelid = v_table and k.contype in ('u', 'f');
    select pg_catalog.array_agg(pub.pubname) into v_publications
      from pg_catalog.pg_publication_rel as pr join pg_catalog.pg_publication as pub on pub.oid = pr.prpubid
     where pr.prrelid = v_table;
    select pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' order by a.attnum) into v_columns
      from pg_catalog.pg_attribute as a where a.attrelid = v_table and a.attnum > 0 and not a.attisdropped;

    -- The old table steps aside under a new name; its successor takes the name, so partitions, sequences and
    -- indexes get their usual names.
    execute pg_catalog.format('alter table %s rename to %I', v_table, v_name || '__unpartitioned');
    execute pg_catalog.format(
        'create table %I.%I (like %s including defaults including constraints including identity including comments'
        ' including storage including statistics) partition by range (%I)',
        v_schema, v_name, v_table, p_column
    );
    v_new := pg_catalog.format('%I.%I', v_schema, v_name)::regclass;
    -- The default partition and the days ahead, then a partition for each day that has rows (up to the premake
    -- horizon; later ones wait in the default).
    v_created := monitoring.ensure_day_partitions(v_new, pg_catalog.now(), pg_catalog.now() + p_premake);
    for v_day in execute pg_catalog.format(
        'select distinct (%1$I at time zone ''UTC'')::date from %2$s where %1$I < $1 order by 1', p_column, v_table
    ) using pg_catalog.now() + p_premake
    loop
        v_created := v_created + monitoring.ensure_day_partitions(
            v_new, v_day::timestamp at time zone 'UTC', v_day::timestamp at time zone 'UTC');
    end loop;
    execute pg_catalog.format('insert into %s (%s) overriding system value select %s from %s',
                              v_new, v_columns, v_columns, v_table);

    -- Identity sequences: the new ones continue where the old ones stopped, and take the old ones' names.
    for v_identity in
        select a.attname, pg_catalog.pg_get_serial_sequence(v_table::text, a.attname) as old_sequence,
               pg_catalog.pg_get_serial_sequence(v_new::text, a.attname) as new_sequence
          from pg_catalog.pg_attribute as a
         where a.attrelid = v_table and a.attidentity <> '' and not a.attisdropped
    loop
        execute pg_catalog.format('select greatest(pg_catalog.pg_sequence_last_value(%L::regclass), max(%I)) from %s',
                                  v_identity.old_sequence, v_identity.attname, v_table) into v_last;
        if v_last is not null then
            perform pg_catalog.setval(v_identity.new_sequence, v_last);
        end if;
        v_sequences := v_sequences || array[v_identity.new_sequence, pg_catalog.split_part(v_identity.old_sequence, '.', 2)];
    end loop;

    execute pg_catalog.format('drop table %s', v_table);
    v_table := v_new;
    for v_i in 1 .. coalesce(pg_catalog.array_length(v_sequences, 1), 0) / 2 loop
        execute pg_catalog.format('alter sequence %s rename to %s', v_sequences[2 * v_i - 1], v_sequences[2 * v_i]);
    end loop;

    if v_pk is not null then
        execute pg_catalog.format(
            'alter table %s add constraint %I primary key (%s)%s', v_table, v_pk_name,
            (select pg_catalog.string_agg(pg_catalog.quote_ident(k.c), ', ' order by k.n)
               from pg_catalog.unnest(array[p_column] || pg_catalog.array_remove(v_pk, p_column))
                    with ordinality as k (c, n)),
            case when pg_catalog.cardinality(p_include) > 0 then
                (select ' include (' || pg_catalog.string_agg(pg_catalog.quote_ident(k.c), ', ' order by k.n) || ')'
                   from pg_catalog.unnest(p_include) with ordinality as k (c, n))
            else '' end
        );
    end if;
    foreach v_statement in array coalesce(v_indexes, '{}') loop
        execute v_statement;
    end loop;
    foreach v_statement in array coalesce(v_constraints, '{}') loop
        execute v_statement;
    end loop;
    if v_rls then
        execute pg_catalog.format('alter table %s enable row level security', v_table);
    end if;
    if v_force_rls then
        execute pg_catalog.format('alter table %s force row level security', v_table);
    end if;
    foreach v_statement in array coalesce(v_policies, '{}') loop
        execute v_statement;
    end loop;
    -- Grants exactly as before: first take away what default privileges gave the new table.
    for v_grant in
        select distinct x.grantee from pg_catalog.pg_class as c, pg_catalog.aclexplode(c.relacl) as x
         where c.oid = v_table and x.grantee <> c.relowner
    loop
        execute pg_catalog.format('revoke all on table %s from %s', v_table,
            case when v_grant.grantee = 0 then 'public' else pg_catalog.quote_ident(v_grant.grantee::regrole::text) end);
    end loop;
    for v_grant in
        select x.grantee, x.privilege_type, x.is_grantable from pg_catalog.aclexplode(v_acl) as x
         where x.grantee <> (select c.relowner from pg_catalog.pg_class as c where c.oid = v_table)
    loop
        execute pg_catalog.format('grant %s on table %s to %s%s', v_grant.privilege_type, v_table,
            case when v_grant.grantee = 0 then 'public' else pg_catalog.quote_ident(v_grant.grantee::regrole::text) end,
            case when v_grant.is_grantable then ' with grant option' else '' end);
    end loop;
    if v_comment is not null then
        execute pg_catalog.format('comment on table %s is %L', v_table, v_comment);
    end if;
    foreach v_statement in array coalesce(v_publications, '{}') loop
        execute pg_catalog.format('alter publication %I add table %s', v_statement, v_table);
    end loop;
    execute pg_catalog.format('alter table %s owner to %I', v_table, v_owner);

    insert into monitoring.partitioned_tables (table_name, premake) values (p_table, p_premake)
    on conflict (table_name) do nothing;
    perform pg_catalog.set_config('supalert.rows_copied', (v_copied + v_rows)::text, true);
    return pg_catalog.format('%s: %s rows moved into %s day partition(s) and a default partition', p_table, v_rows,
                             v_created);
end;
$$;

comment on function monitoring.partition_by_day(text, text, interval, text[]) is
'Converts a table into daily range partitions (rows, keys, indexes, RLS, grants carried over). Owner only.';

revoke execute on function monitoring.partition_by_day(text, text, interval, text[]) from public, anon, authenticated;
-- supalert:end sql/functions/partition_by_day.sql

-- supalert:source sql/functions/partition_key.sql sha256=44202507c7638c852afc3f4ee8f525e27b5df7d9cac65ad6b9ff458e6dc3584a
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
-- supalert:end sql/functions/partition_key.sql

-- supalert:source sql/functions/rollup_function_calls.sql sha256=4ee508489a98202396abe58a7efaa7f47704d609ed5a2603724e1aa23d7a1302
-- monitoring.rollup_function_calls(now): returns how many hours it rolled up. Counts the edge_function rows of
-- public.performance_metrics for every closed UTC hour of p_now's day not yet in monitoring.function_call_hours. An
-- hour is closed 10 minutes after it ends: rows written later than that with an older recorded_at are not counted.
-- Each hour is counted once (about a day's rows over a day), so the daily quota rule reads at most 70 minutes of
-- raw rows instead of the whole day. Owner only (monitoring.evaluate runs it before the rules).
create or replace function monitoring.rollup_function_calls(p_now timestamptz default pg_catalog.now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_day_start timestamptz := pg_catalog.date_trunc('day', p_now, 'UTC');
    -- The last hour that ended at least 10 minutes ago.
    v_last_closed timestamptz :=
        pg_catalog.date_trunc('hour', p_now - interval '10 minutes', 'UTC') - interval '1 hour';
    v_rolled integer;
begin
    -- Every run rolls up all the day's missing hours, so the last closed one being there means nothing is missing.
    if v_last_closed < v_day_start
       or exists (select from monitoring.function_call_hours as f where f.hour_start = v_last_closed) then
        return 0;
    end if;
    insert into monitoring.function_call_hours (hour_start, calls, rolled_at)
    select h.hour_start,
           (select pg_catalog.count(*) from public.performance_metrics as m
             where m.metric_type = 'edge_function'
               and m.recorded_at >= h.hour_start and m.recorded_at < h.hour_start + interval '1 hour'),
           p_now
      from pg_catalog.generate_series(v_day_start, v_last_closed, interval '1 hour') as h (hour_start)
     where not exists (select from monitoring.function_call_hours as f where f.hour_start = h.hour_start)
    on conflict (hour_start) do nothing;
    get diagnostics v_rolled = row_count;
    return v_rolled;
end;
$$;

comment on function monitoring.rollup_function_calls(timestamptz) is
'Rolls up edge_function calls per closed UTC hour of the day into monitoring.function_call_hours. Owner only.';

revoke execute on function monitoring.rollup_function_calls(timestamptz) from public, anon, authenticated;
-- supalert:end sql/functions/rollup_function_calls.sql

-- supalert:source sql/functions/system_health.sql sha256=9639b64fa975829fccf3225ee5bcc166f58a6e908af5037b68b4e0f7c7df5a1c
-- monitoring.system_health(now): one jsonb document for the dashboard's system-health page: errors in the last
-- hour (and per minute), p50/p95 per edge function, active users, database size and function calls against the
-- plan's limits, open alerts by severity, the last evaluation's age, the notification backlog and dead count.
-- Admins only (security definer to read supalert's private tables); called through public.get_system_health().
create or replace function monitoring.system_health(p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
-- Small queries over many partitions: JIT compilation would cost more than it saves (see monitoring.evaluate).
set jit = off
-- The hour's start is a plpgsql variable, a constant to a custom plan: it prunes to the hour's partitions while
-- planning and opens no other (a generic plan opens every partition).
set plan_cache_mode = force_custom_plan
as $$
declare
    v_settings monitoring.settings;
    v_result jsonb;
    v_hour_ago timestamptz := p_now - interval '1 hour';
begin
    perform monitoring.require_admin();
    select s.* into v_settings from monitoring.settings as s;
    select pg_catalog.jsonb_build_object(
        'generated_at', p_now,
        'errors', (
            select pg_catalog.jsonb_build_object(
                'last_hour', pg_catalog.count(*),
                'per_minute', pg_catalog.round(pg_catalog.count(*) / 60.0, 3),
                'by_severity', coalesce(
                    (select pg_catalog.jsonb_object_agg(x.severity, x.n)
                       from (select e2.severity, pg_catalog.count(*) as n from public.error_logs as e2
                              where e2.occurred_at > v_hour_ago and e2.occurred_at <= p_now
                              group by e2.severity) as x),
                    '{}'::jsonb)
            )
              from public.error_logs as e
             where e.occurred_at > v_hour_ago and e.occurred_at <= p_now
        ),
        'edge_functions', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'name', f.metric_name, 'calls', f.calls, 'p50_ms', f.p50, 'p95_ms', f.p95) order by f.metric_name)
              from (
                  select m.metric_name, pg_catalog.count(*) as calls,
                         pg_catalog.round((pg_catalog.percentile_cont(0.5) within group (order by m.duration_ms))::numeric, 1) as p50,
                         pg_catalog.round((pg_catalog.percentile_cont(0.95) within group (order by m.duration_ms))::numeric, 1) as p95
                    from public.performance_metrics as m
                   where m.metric_type = 'edge_function'
                     and m.recorded_at > v_hour_ago and m.recorded_at <= p_now
                   group by m.metric_name
              ) as f
        ), '[]'::jsonb),
        'active_users_15m', (
            select pg_catalog.count(distinct u.user_id) from public.user_sessions as u
             where u.last_active_at > p_now - interval '15 minutes' and u.last_active_at <= p_now
        ),
        'database', pg_catalog.jsonb_build_object(
            'size_bytes', pg_catalog.pg_database_size(pg_catalog.current_database()),
            'size_gb', pg_catalog.round(pg_catalog.pg_database_size(pg_catalog.current_database()) / 1073741824.0, 3),
            'limit_gb', v_settings.plan_database_gb
        ),
        'function_calls_today', pg_catalog.jsonb_build_object(
            'count', monitoring.function_calls_today(p_now),
            'limit', v_settings.plan_function_calls_per_day
        ),
        'open_alerts', pg_catalog.jsonb_build_object(
            'critical', (select pg_catalog.count(*) from public.system_alerts as a
                          where a.resolved_at is null and a.severity = 'critical'),
            'high', (select pg_catalog.count(*) from public.system_alerts as a
                      where a.resolved_at is null and a.severity = 'high'),
            'warning', (select pg_catalog.count(*) from public.system_alerts as a
                         where a.resolved_at is null and a.severity = 'warning'),
            'info', (select pg_catalog.count(*) from public.system_alerts as a
                      where a.resolved_at is null and a.severity = 'info')
        ),
        'last_evaluation', (
            select pg_catalog.jsonb_build_object(
                'at', h.last_evaluated_at,
                'age_seconds', pg_catalog.round(extract(epoch from p_now - h.completed_at)::numeric, 1),
                'rules_evaluated', h.rules_evaluated,
                'rules_failed', h.rules_failed)
              from monitoring.heartbeat as h
        ),
        'notifications', pg_catalog.jsonb_build_object(
            'backlog', (select pg_catalog.count(*) from monitoring.notifications as n
                         where n.status in ('pending', 'sending')),
            'dead', (select pg_catalog.count(*) from monitoring.notifications as n where n.status = 'dead')
        )
    ) into v_result;
    return v_result;
end;
$$;

comment on function monitoring.system_health(timestamptz) is
'The system-health document for the dashboard (errors, latency, users, limits, alerts, evaluation, outbox). Admins.';

revoke execute on function monitoring.system_health(timestamptz) from public, anon;
grant execute on function monitoring.system_health(timestamptz) to authenticated, service_role;
-- supalert:end sql/functions/system_health.sql

-- supalert:source sql/rules/metric_active_users.sql sha256=653e430818be82986f9b3a76106b16112f7baaac830f8dfd522f184fbfee1cd9
-- monitoring.metric_active_users(rule, now): distinct users in public.user_sessions whose last_active_at falls in
-- the window (15 minutes for the seed's concurrent_users_threshold). Zero users is a value; an empty table is no
-- data. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_active_users(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    select
        c.users::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'active_users', c.users,
            'summary', pg_catalog.format(
                '%s user(s) active in the last %s', c.users, monitoring.describe_interval(p_rule.time_window)
            )
        ),
        (select pg_catalog.max(x.last_active_at) from public.user_sessions as x) is null
      from (
          select pg_catalog.count(distinct s.user_id) as users
            from public.user_sessions as s
           where s.last_active_at > p_now - p_rule.time_window
             and s.last_active_at <= p_now
      ) as c;
end;
$$;

comment on function monitoring.metric_active_users(monitoring.rules, timestamptz) is
'Metric: distinct users with user_sessions.last_active_at in the window.';

revoke execute on function monitoring.metric_active_users(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_active_users.sql

-- supalert:source sql/rules/metric_backup_age_hours.sql sha256=f9b23f458e001954b94bf390d21e1387991ce9199865914a7ccc89c9b9b54e56
-- monitoring.metric_backup_age_hours(rule, now): hours since the newest verified backup in monitoring.backup_log
-- finished. No verified backup recorded is no data. The detail carries WAL archiving as far as SQL sees it
-- (pg_stat_archiver: archived and failed counts, last failure). Metric interface; called by monitoring.evaluate.
create or replace function monitoring.metric_backup_age_hours(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    with newest as (
        select b.finished_at, b.kind, b.location
          from monitoring.backup_log as b
         where b.verified and b.finished_at <= p_now
         order by b.finished_at desc
         limit 1
    )
    select
        pg_catalog.round((extract(epoch from p_now - n.finished_at) / 3600)::numeric, 1),
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'newest_backup_at', n.finished_at,
            'kind', n.kind,
            'location', n.location,
            'wal_archived_count', a.archived_count,
            'wal_failed_count', a.failed_count,
            'wal_last_failed_at', a.last_failed_time,
            'rule', p_rule.key,
            'summary', case when n.finished_at is null
                then 'no verified backup recorded (python deploy.py backups record)'
                else pg_catalog.format('newest verified %s backup finished %s hour(s) ago', n.kind,
                    pg_catalog.round((extract(epoch from p_now - n.finished_at) / 3600)::numeric, 1))
            end
        ),
        n.finished_at is null
      from pg_catalog.pg_stat_archiver as a
      left join newest as n on true;
end;
$$;

comment on function monitoring.metric_backup_age_hours(monitoring.rules, timestamptz) is
'Metric: hours since the newest verified backup_log row; none is no data. Detail: pg_stat_archiver.';

revoke execute on function monitoring.metric_backup_age_hours(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_backup_age_hours.sql

-- supalert:source sql/rules/metric_client_credit.sql sha256=d71b81d15a50a1f323f541561f203f8b9a4b858d726bac4fad17a990e82b1fd0
-- monitoring.metric_client_credit(rule, now): one series per client in public.client_credits, value = its balance,
-- labels {client_id}, so each client gets its own alert (one per fingerprint). An empty table is one no-data row.
-- Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_client_credit(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    select
        c.balance,
        pg_catalog.jsonb_build_object('client_id', c.client_id),
        pg_catalog.jsonb_build_object(
            'client_name', c.client_name,
            'balance_updated_at', c.updated_at,
            'summary', pg_catalog.format('client %s has a credit balance of %s',
                coalesce(c.client_name, c.client_id::text), c.balance)
        ),
        false
      from public.client_credits as c
     where c.updated_at <= p_now
    union all
    select null, '{}'::jsonb,
           pg_catalog.jsonb_build_object('summary', 'no client credits recorded', 'rule', p_rule.key), true
     where not exists (select from public.client_credits);
end;
$$;

comment on function monitoring.metric_client_credit(monitoring.rules, timestamptz) is
'Metric: per-client balance from client_credits (labels client_id); an empty table is no data.';

revoke execute on function monitoring.metric_client_credit(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_client_credit.sql

-- supalert:source sql/rules/metric_database_size_gb.sql sha256=5e9b40ed5ba7bda3662fe83183311718855624cee866cc208526da12e02a8353
-- monitoring.metric_database_size_gb(rule, now): the size of the current database in GiB (pg_database_size), the
-- figure Supabase's plan limits count. The window is not used: the size is a reading, not a sum. Metric
-- interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_database_size_gb(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    select
        pg_catalog.round(s.bytes / 1073741824.0, 3),
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'bytes', s.bytes,
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', pg_catalog.format('database size %s', pg_catalog.pg_size_pretty(s.bytes))
        ),
        false
      from (select pg_catalog.pg_database_size(pg_catalog.current_database()) as bytes) as s;
end;
$$;

comment on function monitoring.metric_database_size_gb(monitoring.rules, timestamptz) is
'Metric: pg_database_size of the current database in GiB.';

revoke execute on function monitoring.metric_database_size_gb(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_database_size_gb.sql

-- supalert:source sql/rules/metric_duration.sql sha256=0d2caa7da397ca48798844f80d839f286e9397a07fa66113f2e8cb0e9039d7b2
-- monitoring.metric_duration(rule, now): the average (params.aggregate = 'avg', the seed's choice) or 95th
-- percentile ('p95') of public.performance_metrics.duration_ms over the window, for rows whose metric_type is
-- params.metric_type (default 'edge_function'). No rows in the window is no data. Metric interface; called by
-- monitoring.evaluate only.
create or replace function monitoring.metric_duration(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
-- The window's bounds are plpgsql variables, constants to a custom plan: it prunes to the window's partitions while
-- planning and opens no other. A generic plan opens every partition, the largest cost of pg_cron's fresh session.
set plan_cache_mode = force_custom_plan
as $$
declare
    v_metric_type text := coalesce(p_rule.params ->> 'metric_type', 'edge_function');
    v_aggregate text := coalesce(p_rule.params ->> 'aggregate', 'avg');
    v_from timestamptz := p_now - p_rule.time_window;
    v_samples bigint;
    v_avg numeric;
    v_p95 numeric;
    v_value numeric;
begin
    if v_aggregate not in ('avg', 'p95') then
        raise exception 'rule %: params.aggregate must be avg or p95, not %', p_rule.key, pg_catalog.quote_literal(v_aggregate)
            using errcode = 'invalid_parameter_value';
    end if;
    select pg_catalog.count(*),
           pg_catalog.avg(m.duration_ms),
           (pg_catalog.percentile_cont(0.95) within group (order by m.duration_ms))::numeric
      into v_samples, v_avg, v_p95
      from public.performance_metrics as m
     where m.metric_type = v_metric_type
       and m.recorded_at > v_from
       and m.recorded_at <= p_now;
    v_value := case v_aggregate when 'p95' then v_p95 else v_avg end;
    return query select
        pg_catalog.round(v_value, 1),
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'samples', v_samples,
            'avg_ms', pg_catalog.round(v_avg, 1),
            'p95_ms', pg_catalog.round(v_p95, 1),
            'metric_type', v_metric_type,
            'summary', case when v_samples = 0
                then pg_catalog.format(
                    'no %s timings in the last %s', v_metric_type, monitoring.describe_interval(p_rule.time_window))
                else pg_catalog.format('%s %s duration %s ms over %s sample(s) in the last %s',
                    v_aggregate, v_metric_type, pg_catalog.round(v_value), v_samples,
                    monitoring.describe_interval(p_rule.time_window))
            end
        ),
        v_samples = 0;
end;
$$;

comment on function monitoring.metric_duration(monitoring.rules, timestamptz) is
'Metric: avg or p95 of performance_metrics.duration_ms for params.metric_type in the window; no rows is no data.';

revoke execute on function monitoring.metric_duration(monitoring.rules, timestamptz) from public, anon, authenticated;
-- supalert:end sql/rules/metric_duration.sql

-- supalert:source sql/rules/metric_error_count.sql sha256=30777ab2e28ad257a06c6082ce3fb39e8406528c2189ccd866ebb66a405a5e87
-- monitoring.metric_error_count(rule, now): the number of public.error_logs rows in the rule's window whose
-- severity is in params.severities (default high and critical, as the seed's check_error_rate_threshold counted).
-- One series; zero errors in the window is a value, but a table that has never had a row is no data (nothing
-- is logging). Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_error_count(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
-- The window's bounds are plpgsql variables, constants to a custom plan: it prunes to the window's partitions while
-- planning and opens no other. A generic plan opens every partition, the largest cost of pg_cron's fresh session.
set plan_cache_mode = force_custom_plan
as $$
#variable_conflict use_column
declare
    v_from timestamptz := p_now - p_rule.time_window;
    v_severities text[] := coalesce(
        (select pg_catalog.array_agg(s.severity order by s.severity)
           from pg_catalog.jsonb_array_elements_text(p_rule.params -> 'severities') as s (severity)),
        array['critical', 'high']
    );
    v_errors bigint;
    v_no_data boolean := false;
begin
    select pg_catalog.count(*)
      into v_errors
      from public.error_logs as e
     where e.occurred_at > v_from and e.occurred_at <= p_now
       and e.severity = any (v_severities);
    -- A row in the window (of any severity) settles it; only an empty window plans a look at the whole table.
    if v_errors = 0 and not exists (select from public.error_logs as x
                                     where x.occurred_at > v_from and x.occurred_at <= p_now) then
        v_no_data := not exists (select from public.error_logs as x);
    end if;
    return query select
        v_errors::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'error_count', v_errors,
            'severities', v_severities,
            'summary', pg_catalog.format(
                '%s %s error(s) in the last %s', v_errors, pg_catalog.array_to_string(v_severities, '/'),
                monitoring.describe_interval(p_rule.time_window)
            )
        ),
        v_no_data;
end;
$$;

comment on function monitoring.metric_error_count(monitoring.rules, timestamptz) is
'Metric: error_logs rows in the window with severity in params.severities (default critical, high).';

revoke execute on function monitoring.metric_error_count(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_error_count.sql

-- supalert:source sql/rules/metric_error_rate_percentage.sql sha256=5cb84f21241ee1d6c9407251d76161697eea36862ccd80b196429856869266ba
-- monitoring.metric_error_rate_percentage(rule, now): errors per 100 requests in the window. Errors: public.error_logs
-- rows in the window (all severities, or params.severities). Requests: public.performance_metrics rows with
-- metric_type 'edge_function' in the window, since every edge function logs one timing per call (the seed's
-- "Edge Function Performance" snippet). No requests in the window is no data. Metric interface; evaluate only.
create or replace function monitoring.metric_error_rate_percentage(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
-- The window's bounds are plpgsql variables, constants to a custom plan: it prunes to the window's partitions while
-- planning and opens no other. A generic plan opens every partition, the largest cost of pg_cron's fresh session.
set plan_cache_mode = force_custom_plan
as $$
#variable_conflict use_column
declare
    v_from timestamptz := p_now - p_rule.time_window;
    v_severities text[] := (select pg_catalog.array_agg(x.severity)
                              from pg_catalog.jsonb_array_elements_text(p_rule.params -> 'severities') as x (severity));
    v_errors bigint;
    v_requests bigint;
begin
    select pg_catalog.count(*)
      into v_errors
      from public.error_logs as e
     where e.occurred_at > v_from and e.occurred_at <= p_now
       and (v_severities is null or e.severity = any (v_severities));
    select pg_catalog.count(*)
      into v_requests
      from public.performance_metrics as m
     where m.metric_type = 'edge_function'
       and m.recorded_at > v_from and m.recorded_at <= p_now;
    return query select
        case when v_requests > 0 then pg_catalog.round(v_errors * 100.0 / v_requests, 2) end,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'errors', v_errors,
            'requests', v_requests,
            'summary', case when v_requests = 0
                then pg_catalog.format('no requests in the last %s', monitoring.describe_interval(p_rule.time_window))
                else pg_catalog.format('%s error(s) in %s request(s) (%s%%) in the last %s', v_errors, v_requests,
                    pg_catalog.round(v_errors * 100.0 / v_requests, 2), monitoring.describe_interval(p_rule.time_window))
            end
        ),
        v_requests = 0;
end;
$$;

comment on function monitoring.metric_error_rate_percentage(monitoring.rules, timestamptz) is
'Metric: error_logs rows per 100 edge_function requests (performance_metrics) in the window; no requests, no data.';

revoke execute on function monitoring.metric_error_rate_percentage(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_error_rate_percentage.sql

-- supalert:source sql/rules/metric_failed_emails.sql sha256=ebe1cca095d6e927382eff279a5951463b1b0243b20ca2de99054415f2e43c9e
-- monitoring.metric_failed_emails(rule, now): public.email_delivery_log rows in the window whose delivery_status is
-- 'failed'. A table that has never had a row is no data. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_failed_emails(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
-- The window's bounds are plpgsql variables, constants to a custom plan: it prunes to the window's partitions while
-- planning and opens no other. A generic plan opens every partition, the largest cost of pg_cron's fresh session.
set plan_cache_mode = force_custom_plan
as $$
#variable_conflict use_column
declare
    v_from timestamptz := p_now - p_rule.time_window;
    v_failed bigint;
    v_no_data boolean := false;
begin
    select pg_catalog.count(*)
      into v_failed
      from public.email_delivery_log as e
     where e.created_at > v_from and e.created_at <= p_now
       and e.delivery_status = 'failed';
    -- A row in the window settles it; only an empty window plans a look at the whole table.
    if v_failed = 0 and not exists (select from public.email_delivery_log as x
                                     where x.created_at > v_from and x.created_at <= p_now) then
        v_no_data := not exists (select from public.email_delivery_log as x);
    end if;
    return query select
        v_failed::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'failed_count', v_failed,
            'summary', pg_catalog.format(
                '%s email(s) failed in the last %s', v_failed, monitoring.describe_interval(p_rule.time_window))
        ),
        v_no_data;
end;
$$;

comment on function monitoring.metric_failed_emails(monitoring.rules, timestamptz) is
'Metric: failed rows of email_delivery_log in the window; an empty table is no data.';

revoke execute on function monitoring.metric_failed_emails(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_failed_emails.sql

-- supalert:source sql/rules/metric_failed_gift_cards.sql sha256=679162ad2045da85873a6cdd024df1f4edf074dbc731843d8e78742f4e95ea8b
-- monitoring.metric_failed_gift_cards(rule, now): public.gift_card_provisions rows in the window whose status is
-- 'failed'. A table that has never had a row is no data. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_failed_gift_cards(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    select
        c.failed::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'failed_count', c.failed,
            'summary', pg_catalog.format('%s gift-card provision(s) failed in the last %s', c.failed,
                monitoring.describe_interval(p_rule.time_window))
        ),
        (select pg_catalog.max(x.created_at) from public.gift_card_provisions as x) is null
      from (
          select pg_catalog.count(*) as failed
            from public.gift_card_provisions as g
           where g.status = 'failed'
             and g.created_at > p_now - p_rule.time_window and g.created_at <= p_now
      ) as c;
end;
$$;

comment on function monitoring.metric_failed_gift_cards(monitoring.rules, timestamptz) is
'Metric: failed rows of gift_card_provisions in the window; an empty table is no data.';

revoke execute on function monitoring.metric_failed_gift_cards(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_failed_gift_cards.sql

-- supalert:source sql/rules/metric_function_calls_today.sql sha256=5538cca19f9e1ae1f05035969044d18c8e3d409290036921a3a22a144383b848
-- monitoring.metric_function_calls_today(rule, now): edge-function calls since midnight UTC of p_now's day, counted
-- as public.performance_metrics rows with metric_type 'edge_function' (one per call). Plan quotas reset daily, so
-- the window is the calendar day, not a sliding 24 hours. Counted by monitoring.function_calls_today (an hourly
-- rollup plus the open hours' rows), so the cost does not grow through the day. An empty table is no data. Metric
-- interface.
create or replace function monitoring.metric_function_calls_today(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
declare
    v_day_start timestamptz := pg_catalog.date_trunc('day', p_now, 'UTC');
    v_calls bigint := monitoring.function_calls_today(p_now);
    v_no_data boolean := false;
begin
    -- Calls today settle it; only a day without calls plans a look at the whole table.
    if v_calls = 0 then
        v_no_data := not exists (select from public.performance_metrics);
    end if;
    return query select
        v_calls::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'calls', v_calls,
            'day', v_day_start::date,
            'rule', p_rule.key,
            'summary', pg_catalog.format('%s edge-function call(s) so far on %s (UTC)', v_calls, v_day_start::date)
        ),
        v_no_data;
end;
$$;

comment on function monitoring.metric_function_calls_today(monitoring.rules, timestamptz) is
'Metric: edge_function rows of performance_metrics since midnight UTC; an empty table is no data.';

revoke execute on function monitoring.metric_function_calls_today(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_function_calls_today.sql

-- supalert:source sql/rules/metric_sms_failure_percentage.sql sha256=3f2c24fcd956c90c4fbe1c36bbf211dd90ccfdafe17a89f433abacfb7fef3276
-- monitoring.metric_sms_failure_percentage(rule, now): the percentage of public.sms_delivery_log rows in the window
-- whose delivery_status is in params.statuses (default failed: the seed's check_sms_delivery_failures; the
-- sms_bounce_rate rule counts undelivered and bounced). No SMS in the window is no data (the seed skipped the
-- check). Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_sms_failure_percentage(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
-- The window's bounds are plpgsql variables, constants to a custom plan: it prunes to the window's partitions while
-- planning and opens no other. A generic plan opens every partition, the largest cost of pg_cron's fresh session.
set plan_cache_mode = force_custom_plan
as $$
#variable_conflict use_column
declare
    v_from timestamptz := p_now - p_rule.time_window;
    v_statuses text[] := coalesce(
        (select pg_catalog.array_agg(x.status order by x.status)
           from pg_catalog.jsonb_array_elements_text(p_rule.params -> 'statuses') as x (status)),
        array['failed']
    );
    v_failed bigint;
    v_total bigint;
begin
    select pg_catalog.count(*) filter (where s.delivery_status = any (v_statuses)), pg_catalog.count(*)
      into v_failed, v_total
      from public.sms_delivery_log as s
     where s.created_at > v_from and s.created_at <= p_now;
    return query select
        case when v_total > 0 then pg_catalog.round(v_failed * 100.0 / v_total, 2) end,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'failed_count', v_failed,
            'total_count', v_total,
            'summary', case when v_total = 0
                then pg_catalog.format('no SMS sent in the last %s', monitoring.describe_interval(p_rule.time_window))
                else pg_catalog.format('%s of %s SMS %s (%s%%) in the last %s',
                    v_failed, v_total, pg_catalog.array_to_string(v_statuses, '/'),
                    pg_catalog.round(v_failed * 100.0 / v_total, 2), monitoring.describe_interval(p_rule.time_window))
            end
        ),
        v_total = 0;
end;
$$;

comment on function monitoring.metric_sms_failure_percentage(monitoring.rules, timestamptz) is
'Metric: percentage of sms_delivery_log rows with delivery_status failed in the window; no SMS is no data.';

revoke execute on function monitoring.metric_sms_failure_percentage(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_sms_failure_percentage.sql

-- supalert:source sql/rules/metric_usage_sample.sql sha256=510bc1b95cfd60cd003b37fe76f39a8091bde2430087af1f6ec9620284b09536
-- monitoring.metric_usage_sample(rule, now): the newest monitoring.usage_samples value of params.metric (e.g.
-- bandwidth_gb_month) sampled no later than p_now. No sample, or one older than params.max_age (default 2 days), is
-- no data: a stale reading says nothing about today. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_usage_sample(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    with wanted as (
        select p_rule.params ->> 'metric' as metric,
               coalesce((p_rule.params ->> 'max_age')::interval, interval '2 days') as max_age
    ),
    newest as (
        select s.value, s.sampled_at
          from monitoring.usage_samples as s, wanted as w
         where s.metric = w.metric and s.sampled_at <= p_now
         order by s.sampled_at desc
         limit 1
    )
    select
        case when n.sampled_at > p_now - w.max_age then n.value end,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'metric', w.metric,
            'sampled_at', n.sampled_at,
            'summary', case
                when n.sampled_at is null then pg_catalog.format('no %s sample recorded', w.metric)
                when n.sampled_at <= p_now - w.max_age then pg_catalog.format(
                    'newest %s sample is stale (%s)', w.metric, n.sampled_at)
                else pg_catalog.format('%s = %s (sampled %s)', w.metric, n.value, n.sampled_at)
            end
        ),
        n.sampled_at is null or n.sampled_at <= p_now - w.max_age
      from wanted as w
      left join newest as n on true;
end;
$$;

comment on function monitoring.metric_usage_sample(monitoring.rules, timestamptz) is
'Metric: newest usage_samples value of params.metric; none or stale (params.max_age) is no data.';

revoke execute on function monitoring.metric_usage_sample(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_usage_sample.sql

-- supalert:source sql/cron/maintain_partitions.sql sha256=59c6deb1e9b925abb9e56acb087113be8656f6fd4bb12c8c97dd6853d54991fc
-- Job supalert-partitions: every hour at minute 7, makes the telemetry tables' day partitions a week ahead, moves
-- rows out of their default partitions and drops partitions past retention (monitoring.maintain_partitions).
select cron.schedule(
    'supalert-partitions',
    '7 * * * *',
    $$select count(*) from monitoring.maintain_partitions()$$
);
-- supalert:end sql/cron/maintain_partitions.sql
