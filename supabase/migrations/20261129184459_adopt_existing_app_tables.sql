-- supalert reads and writes tables an app may already have: public.system_alerts and the telemetry the rules read
-- (error_logs, performance_metrics, sms_delivery_log, email_delivery_log, user_sessions, client_credits,
-- gift_card_provisions, rate_limit_log). The migrations after this one keep an existing table, and turn the four
-- telemetry tables into day partitions with every row and id kept. This file looks at every such table first and:
-- - refuses, before anything of supalert's is installed, what cannot be adopted as it is, in one message that names
--   each of the app's objects and gives the SQL that fixes it;
-- - converts in place what is safe: optional columns it lacks are added (nullable, or with a default), a nullable
--   time column without nulls becomes not null (with default now()),
--   a serial's sequence is detached so the partitioned table can keep using it (it is owned again afterwards), and
--   a system_alerts of the seed's shape gets supalert's lifecycle columns;
-- - records each table's grants and comment (supalert_migrations.adopted_tables), which a later migration gives
--   back after the platform-tables migration has taken them.
-- Added after the first releases: its version sorts before theirs so that it runs first on a fresh install. On a
-- database where supalert is installed already (monitoring.settings exists) it changes nothing.

create schema if not exists supalert_migrations;
revoke all on schema supalert_migrations from public;
create table if not exists supalert_migrations.adopted_tables (
    table_name text primary key,
    acl aclitem[],
    table_comment text,
    adopted_at timestamptz not null default now(),
    restored_at timestamptz
);
comment on table supalert_migrations.adopted_tables is
'Tables of the app that supalert adopted on install, with their grants and comment as they were then.';

do $adopt$
declare
    -- table, partitioned by day on this column (null: kept as it is), the columns supalert uses with the definition
    -- that adds each to a table that already has rows (supalert's types; not null only where a default fills it),
    -- and which of them are merely optional: those are added in place, the others are asked for
    v_spec record;
    v_table regclass;
    v_kind "char";
    v_column record;
    v_problems text[] := '{}';
    v_fixes text[] := '{}';
    v_additions text[] := '{}';
    v_missing text[];
    v_rows bigint;
    v_total bigint := 0;
    v_limit bigint := coalesce(nullif(pg_catalog.current_setting('supalert.convert_max_rows', true), ''),
                               '1000000')::bigint;
    v_blocker record;
    v_type text;
    v_nulls boolean;
    v_fix text;
begin
    if pg_catalog.to_regclass('monitoring.settings') is not null then
        return;  -- supalert is installed: these tables are its own
    end if;

    for v_spec in
        select s.name, s.time_column, s.columns, s.optional
          from (values
              ('system_alerts', null, array[
                  ['id', 'uuid default gen_random_uuid()'], ['alert_type', 'text'],
                  ['title', 'text'], ['message', 'text not null default '''''],
                  ['severity', 'text'], ['metadata', 'jsonb not null default ''{}'''],
                  ['created_at', 'timestamptz not null default now()'],
                  ['dismissed', 'boolean not null default false'], ['is_read', 'boolean not null default false']],
               array['message', 'metadata']),
              ('error_logs', 'occurred_at', array[
                  ['id', 'bigint generated always as identity'], ['severity', 'text'],
                  ['category', 'text'], ['message', 'text'], ['function_name', 'text'],
                  ['error_details', 'jsonb not null default ''{}'''],
                  ['occurred_at', 'timestamptz not null default now()'], ['user_id', 'uuid default auth.uid()']],
               array['category', 'message', 'function_name', 'error_details', 'user_id']),
              ('performance_metrics', 'recorded_at', array[
                  ['id', 'bigint generated always as identity'], ['metric_type', 'text'],
                  ['metric_name', 'text'], ['duration_ms', 'integer'], ['metadata', 'jsonb'],
                  ['client_id', 'uuid'], ['recorded_at', 'timestamptz not null default now()'],
                  ['user_id', 'uuid default auth.uid()']],
               array['metadata', 'client_id', 'user_id']),
              ('sms_delivery_log', 'created_at', array[
                  ['id', 'bigint generated always as identity'], ['delivery_status', 'text'],
                  ['created_at', 'timestamptz not null default now()']], '{}'),
              ('email_delivery_log', 'created_at', array[
                  ['id', 'bigint generated always as identity'], ['delivery_status', 'text'],
                  ['created_at', 'timestamptz not null default now()']], '{}'),
              ('user_sessions', null, array[
                  ['id', 'uuid default gen_random_uuid()'], ['user_id', 'uuid default auth.uid()'],
                  ['started_at', 'timestamptz not null default now()'],
                  ['last_active_at', 'timestamptz not null default now()'], ['user_agent', 'text']],
               array['user_agent']),
              ('client_credits', null, array[
                  ['client_id', 'uuid'], ['balance', 'numeric'],
                  ['updated_at', 'timestamptz not null default now()']], '{}'),
              ('gift_card_provisions', null, array[
                  ['id', 'bigint generated always as identity'], ['status', 'text'],
                  ['created_at', 'timestamptz not null default now()']], '{}'),
              ('rate_limit_log', null, array[
                  ['id', 'bigint generated always as identity'], ['identifier', 'text'],
                  ['created_at', 'timestamptz not null default now()']], '{}')
          ) as s (name, time_column, columns, optional)
    loop
        v_table := pg_catalog.to_regclass('public.' || v_spec.name);
        continue when v_table is null;
        select c.relkind into v_kind from pg_catalog.pg_class as c where c.oid = v_table;
        if v_kind not in ('r', 'p') then
            v_problems := v_problems || pg_catalog.format(
                'public.%I is a %s, not a table', v_spec.name,
                case v_kind when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table'
                            else 'relation of kind ' || v_kind end);
            v_fixes := v_fixes || pg_catalog.format(
                'alter %s public.%I rename to %I;', case v_kind when 'v' then 'view' when 'm' then 'materialized view'
                when 'f' then 'foreign table' else 'table' end, v_spec.name, v_spec.name || '_app');
            continue;
        end if;

        -- The columns supalert reads. system_alerts of the seed's shape (no lifecycle columns) is converted below.
        select pg_catalog.array_agg(v_spec.columns[o][1] order by o) into v_missing
          from pg_catalog.generate_subscripts(v_spec.columns, 1) as o
         where v_spec.columns[o][1] <> all (v_spec.optional::text[])
           and not exists (select from pg_catalog.pg_attribute as a
                            where a.attrelid = v_table and a.attname = v_spec.columns[o][1] and a.attnum > 0
                              and not a.attisdropped);
        if v_missing is not null then
            v_problems := v_problems || pg_catalog.format('public.%I has no column %s', v_spec.name,
                                                          pg_catalog.array_to_string(v_missing, ', '));
            select v_fixes || pg_catalog.array_agg(pg_catalog.format('alter table public.%I add column %I %s;',
                       v_spec.name, v_spec.columns[o][1], v_spec.columns[o][2]) order by o)
              into v_fixes
              from pg_catalog.generate_subscripts(v_spec.columns, 1) as o
             where v_spec.columns[o][1] = any (v_missing);
        end if;

        -- Optional columns the table lacks are added (nullable or with a default: no row changes).
        select v_additions || pg_catalog.array_agg(pg_catalog.format('alter table public.%I add column %I %s',
                   v_spec.name, v_spec.columns[o][1], v_spec.columns[o][2]) order by o)
          into v_additions
          from pg_catalog.generate_subscripts(v_spec.columns, 1) as o
         where v_spec.columns[o][1] = any (v_spec.optional::text[])
           and not exists (select from pg_catalog.pg_attribute as a
                            where a.attrelid = v_table and a.attname = v_spec.columns[o][1] and a.attnum > 0
                              and not a.attisdropped);

        -- supalert inserts alerts: a not-null column of the app's without a default would refuse them.
        if v_spec.name = 'system_alerts' then
            for v_column in
                select a.attname from pg_catalog.pg_attribute as a
                 where a.attrelid = v_table and a.attnum > 0 and not a.attisdropped and a.attnotnull
                   and not a.atthasdef and a.attidentity = '' and a.attgenerated = ''
                   and a.attname not in ('alert_type', 'title', 'message', 'severity', 'metadata', 'fingerprint',
                                         'status', 'created_at', 'last_seen_at', 'resolved_at')
            loop
                v_problems := v_problems || pg_catalog.format(
                    'public.system_alerts.%I is not null without a default, so supalert''s alerts cannot be '
                    'inserted', v_column.attname);
                v_fixes := v_fixes || pg_catalog.format(
                    'alter table public.system_alerts alter column %I drop not null;', v_column.attname);
            end loop;
            select pg_catalog.format_type(a.atttypid, a.atttypmod) into v_type
              from pg_catalog.pg_attribute as a where a.attrelid = v_table and a.attname = 'id' and not a.attisdropped;
            if v_type is distinct from 'uuid' and v_type is not null then
                v_problems := v_problems || pg_catalog.format(
                    'public.system_alerts.id is %s; supalert''s alerts are identified by uuid', v_type);
                v_fixes := v_fixes || 'alter table public.system_alerts rename to system_alerts_app; /* supalert '
                    'then creates its own system_alerts */';
            end if;
        end if;

        if not (select c.relrowsecurity from pg_catalog.pg_class as c where c.oid = v_table) then
            v_problems := v_problems || pg_catalog.format(
                'public.%I has row level security disabled: supalert enables it, and then the API roles reach only '
                'the rows a policy allows', v_spec.name);
            v_fixes := v_fixes || pg_catalog.format(
                'alter table public.%I enable row level security; /* and create the policies your app needs, e.g. '
                'create policy app_inserts on public.%I for insert to anon, authenticated with check (true); */',
                v_spec.name, v_spec.name);
        end if;

        continue when v_spec.time_column is null or v_kind = 'p' or v_missing is not null;

        -- Day partitions: what the conversion (monitoring.partition_by_day) needs of an ordinary table.
        select pg_catalog.format_type(a.atttypid, a.atttypmod) into v_type
          from pg_catalog.pg_attribute as a
         where a.attrelid = v_table and a.attname = v_spec.time_column and not a.attisdropped;
        if v_type <> 'timestamp with time zone' then
            v_problems := v_problems || pg_catalog.format('public.%I.%I is %s, not timestamptz', v_spec.name,
                                                          v_spec.time_column, v_type);
            v_fixes := v_fixes || pg_catalog.format(
                'alter table public.%1$I alter column %2$I type timestamptz using %2$I%3$s;', v_spec.name,
                v_spec.time_column,
                case when v_type = 'timestamp without time zone' then ' at time zone ''UTC'''
                     else '::timestamptz' end);
        else
            execute pg_catalog.format('select exists (select from public.%I where %I is null)', v_spec.name,
                                      v_spec.time_column) into v_nulls;
            if v_nulls then
                v_problems := v_problems || pg_catalog.format(
                    'public.%I has rows without %I: partitions by day need a time on every row', v_spec.name,
                    v_spec.time_column);
                v_fixes := v_fixes || pg_catalog.format(
                    'update public.%1$I set %2$I = now() where %2$I is null; /* or a time of your choosing */',
                    v_spec.name, v_spec.time_column);
            end if;
        end if;

        for v_blocker in
            select pg_catalog.format('trigger %I on public.%I', t.tgname, v_spec.name) as what,
                   pg_catalog.format('drop trigger %I on public.%I; /* after migrate, create it again: %s; */',
                                     t.tgname, v_spec.name, pg_catalog.pg_get_triggerdef(t.oid)) as fix
              from pg_catalog.pg_trigger as t where t.tgrelid = v_table and not t.tgisinternal
            union all
            select pg_catalog.format('view %s, which reads public.%I', r.ev_class::regclass, v_spec.name),
                   pg_catalog.format('drop view %s; /* after migrate, create it again: create view %s as %s */',
                                     r.ev_class::regclass, r.ev_class::regclass,
                                     pg_catalog.regexp_replace(pg_catalog.pg_get_viewdef(r.ev_class), '\s+', ' ', 'g'))
              from pg_catalog.pg_depend as d join pg_catalog.pg_rewrite as r on r.oid = d.objid
             where d.refobjid = v_table and d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
               and r.ev_class <> v_table
             group by r.ev_class
            union all
            select pg_catalog.format('foreign key %I of %s, which references public.%I', k.conname,
                                     k.conrelid::regclass, v_spec.name),
                   pg_catalog.format('alter table %s drop constraint %I; /* a partitioned table''s keys include %I */',
                                     k.conrelid::regclass, k.conname, v_spec.time_column)
              from pg_catalog.pg_constraint as k where k.confrelid = v_table and k.contype = 'f'
            union all
            select pg_catalog.format('%s %I of public.%I, without %I',
                                     case k.contype when 'x' then 'exclusion constraint' else 'unique key' end,
                                     k.conname, v_spec.name, v_spec.time_column),
                   pg_catalog.format('alter table public.%I drop constraint %I; /* a partitioned table''s unique '
                                     'keys must include %I */', v_spec.name, k.conname, v_spec.time_column)
              from pg_catalog.pg_constraint as k
             where k.conrelid = v_table
               and (k.contype = 'x'
                    or (k.contype = 'u' and not exists (
                        select from pg_catalog.pg_attribute as a
                         where a.attrelid = v_table and a.attname = v_spec.time_column and a.attnum = any (k.conkey))))
            union all
            select pg_catalog.format('unique index %s', i.indexrelid::regclass),
                   pg_catalog.format('drop index %s; /* a partitioned table''s unique indexes must include %I */',
                                     i.indexrelid::regclass, v_spec.time_column)
              from pg_catalog.pg_index as i
             where i.indrelid = v_table and i.indisunique
               and not exists (select from pg_catalog.pg_constraint as k where k.conindid = i.indexrelid)
            union all
            select pg_catalog.format('generated column public.%I.%I', v_spec.name, a.attname),
                   pg_catalog.format('alter table public.%I alter column %I drop expression;', v_spec.name, a.attname)
              from pg_catalog.pg_attribute as a
             where a.attrelid = v_table and a.attgenerated <> '' and not a.attisdropped
            union all
            select pg_catalog.format('column grants on public.%I.%I', v_spec.name, a.attname),
                   pg_catalog.format('revoke all (%I) on public.%I from %s; /* and grant on the table instead */',
                                     a.attname, v_spec.name,
                                     (select pg_catalog.string_agg(case when x.grantee = 0 then 'public'
                                                 else pg_catalog.quote_ident(x.grantee::regrole::text) end, ', ')
                                        from pg_catalog.aclexplode(a.attacl) as x))
              from pg_catalog.pg_attribute as a where a.attrelid = v_table and a.attacl is not null
            union all
            select pg_catalog.format('table inheritance of public.%I', v_spec.name),
                   pg_catalog.format('alter table %s no inherit %s;', i.inhrelid::regclass, i.inhparent::regclass)
              from pg_catalog.pg_inherits as i where i.inhrelid = v_table or i.inhparent = v_table
        loop
            v_problems := v_problems || v_blocker.what;
            v_fixes := v_fixes || v_blocker.fix;
        end loop;

        execute pg_catalog.format('select count(*) from public.%I', v_spec.name) into v_rows;
        v_total := v_total + v_rows;
    end loop;

    if v_total > v_limit then
        v_problems := v_problems || pg_catalog.format(
            'the telemetry tables hold %s rows, more than supalert.convert_max_rows (%s): converting copies every '
            'row under an ACCESS EXCLUSIVE lock until the migration commits, and API requests time out meanwhile',
            v_total, v_limit);
        v_fixes := v_fixes || ('/* trim them first, or allow it for one run in a quiet window: '
            'PGOPTIONS=''-c supalert.convert_max_rows=<rows>'' python deploy.py migrate (docs/partitioning.md) */')::text;
    end if;
    if pg_catalog.cardinality(v_problems) > 0 then
        raise exception 'supalert cannot adopt the app''s tables as they are, and changed nothing: %',
            pg_catalog.array_to_string(v_problems, '; ')
            using errcode = 'object_not_in_prerequisite_state',
                  hint = 'run this SQL (or rename the table), then migrate again: '
                         || pg_catalog.array_to_string(v_fixes, ' ');
    end if;

    -- Nothing is refused: convert what is safe to convert in place, and keep the grants to give back.
    foreach v_fix in array v_additions loop
        execute v_fix;
    end loop;
    for v_spec in
        select s.name, s.time_column
          from (values ('system_alerts', null), ('error_logs', 'occurred_at'), ('performance_metrics', 'recorded_at'),
                       ('sms_delivery_log', 'created_at'), ('email_delivery_log', 'created_at'),
                       ('user_sessions', null), ('client_credits', null), ('gift_card_provisions', null),
                       ('rate_limit_log', null)) as s (name, time_column)
    loop
        v_table := pg_catalog.to_regclass('public.' || v_spec.name);
        continue when v_table is null;
        insert into supalert_migrations.adopted_tables (table_name, acl, table_comment)
        select 'public.' || v_spec.name, c.relacl, pg_catalog.obj_description(c.oid, 'pg_class')
          from pg_catalog.pg_class as c where c.oid = v_table
        on conflict (table_name) do nothing;

        if v_spec.time_column is not null
           and (select c.relkind from pg_catalog.pg_class as c where c.oid = v_table) = 'r' then
            if not (select a.attnotnull from pg_catalog.pg_attribute as a
                     where a.attrelid = v_table and a.attname = v_spec.time_column) then
                execute pg_catalog.format('alter table public.%I alter column %I set not null', v_spec.name,
                                          v_spec.time_column);
            end if;
            if not (select a.atthasdef from pg_catalog.pg_attribute as a
                     where a.attrelid = v_table and a.attname = v_spec.time_column) then
                execute pg_catalog.format('alter table public.%I alter column %I set default now()', v_spec.name,
                                          v_spec.time_column);
            end if;
            -- A serial's sequence belongs to its column, so dropping the old table would take it along while the
            -- partitioned table's default still uses it: detach it; a later migration gives it back to the column.
            for v_column in
                select s.oid::regclass as seq
                  from pg_catalog.pg_depend as d join pg_catalog.pg_class as s on s.oid = d.objid
                 where d.refobjid = v_table and d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                   and d.deptype = 'a' and s.relkind = 'S'
            loop
                execute pg_catalog.format('alter sequence %s owned by none', v_column.seq);
            end loop;
        end if;

        -- The seed's system_alerts: supalert's lifecycle columns, filled in from the seed's two flags (a dismissed
        -- alert is over; a read one was acknowledged), each old alert an incident of its own.
        if v_spec.name = 'system_alerts' and not exists (
            select from pg_catalog.pg_attribute as a where a.attrelid = v_table and a.attname = 'status'
        ) then
            alter table public.system_alerts
            add column status text not null default 'firing',
            add column fingerprint text not null default '',
            add column occurrences integer not null default 1,
            add column last_seen_at timestamptz not null default now(),
            add column resolved_at timestamptz,
            add column acknowledged_at timestamptz,
            add column acknowledged_by text;
            update public.system_alerts
               set fingerprint = 'adopted:' || id::text,
                   status = case when dismissed then 'resolved' when is_read then 'acknowledged' else 'firing' end,
                   resolved_at = case when dismissed then coalesce(created_at, pg_catalog.now()) end,
                   acknowledged_at = case when is_read and not dismissed then coalesce(created_at, pg_catalog.now()) end,
                   acknowledged_by = case when is_read and not dismissed then 'before supalert' end,
                   last_seen_at = coalesce(created_at, pg_catalog.now());
        end if;
    end loop;
end
$adopt$;
