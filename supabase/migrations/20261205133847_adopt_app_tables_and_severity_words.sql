-- 20261205133847_adopt_app_tables_and_severity_words: written by `python deploy.py new-migration adopt_app_tables_and_severity_words`.
-- Blocks between supalert:source and supalert:end are copies of sql/; change sql/ and generate a new
-- migration instead of editing them. Hand-written statements may go above or below the blocks.

-- Installing into an app that was there first (see 20261129184459_adopt_existing_app_tables.sql, which runs first).

-- Telemetry keeps the severity words the app writes (medium, low, error, CRITICAL, ...); everything that counts or
-- groups errors by severity reads them through this table (monitoring.severity_level, monitoring.severity_words).
-- Data: add the app's own words with an insert.
create table if not exists monitoring.severity_aliases (
    word text primary key,
    severity text not null,
    constraint severity_aliases_word_normalised check (word = lower(btrim(word)) and word <> ''),
    constraint severity_aliases_severity_known check (severity in ('critical', 'high', 'warning', 'info'))
);
comment on table monitoring.severity_aliases is
'Severity words of the app''s telemetry (lower case) and the severity each means; a word not here counts nowhere.';
revoke all on table monitoring.severity_aliases from public, anon, authenticated;
insert into monitoring.severity_aliases (word, severity) values
('critical', 'critical'), ('crit', 'critical'), ('fatal', 'critical'), ('emergency', 'critical'),
('emerg', 'critical'), ('alert', 'critical'), ('panic', 'critical'),
('high', 'high'), ('error', 'high'), ('err', 'high'), ('severe', 'high'), ('major', 'high'),
('warning', 'warning'), ('warn', 'warning'), ('medium', 'warning'), ('moderate', 'warning'),
('info', 'info'), ('information', 'info'), ('informational', 'info'), ('low', 'info'), ('minor', 'info'),
('notice', 'info'), ('debug', 'info'), ('trace', 'info')
on conflict (word) do nothing;

-- The check that refused every word but supalert's four would lose the app's error logs: it goes. In supalert's
-- own error_logs a missing message is no reason to lose an error either (an adopted table keeps its own rules).
-- squawk-ignore ban-drop-constraint
alter table public.error_logs drop constraint if exists error_logs_severity_known;
do $relax$
begin
    if not exists (select from supalert_migrations.adopted_tables where table_name = 'public.error_logs') then
        alter table public.error_logs alter column message drop not null;
    end if;
end
$relax$;

-- A serial's sequence, detached while its table was converted into day partitions, belongs to its column again.
do $serials$
declare
    v_serial record;
begin
    for v_serial in
        select s.oid::regclass as seq, ad.adrelid::regclass as tbl, a.attname
          from pg_catalog.pg_attrdef as ad
          join pg_catalog.pg_attribute as a on a.attrelid = ad.adrelid and a.attnum = ad.adnum
          join pg_catalog.pg_depend as d
            on d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass and d.objid = ad.oid
           and d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
          join pg_catalog.pg_class as s on s.oid = d.refobjid and s.relkind = 'S'
         where ad.adrelid in (select t.table_name::regclass from monitoring.partitioned_tables as t)
           and not exists (select from pg_catalog.pg_depend as o
                            where o.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and o.objid = s.oid
                              and o.deptype in ('a', 'i'))
    loop
        execute pg_catalog.format('alter sequence %s owned by %s.%I', v_serial.seq, v_serial.tbl, v_serial.attname);
    end loop;
end
$serials$;

-- The app's grants and comments on the tables supalert adopted, as they were before the platform-tables migration
-- replaced them with supalert's minimum: the app keeps every access it had (row level security decides the rows).
do $restore$
declare
    v_table record;
    v_grant record;
begin
    for v_table in
        select t.table_name, t.acl, t.table_comment, c.relowner
          from supalert_migrations.adopted_tables as t
          join pg_catalog.pg_class as c on c.oid = pg_catalog.to_regclass(t.table_name)
         where t.restored_at is null
    loop
        for v_grant in
            select x.grantee, x.privilege_type, x.is_grantable
              from pg_catalog.aclexplode(v_table.acl) as x where x.grantee <> v_table.relowner
        loop
            execute pg_catalog.format('grant %s on table %s to %s%s', v_grant.privilege_type, v_table.table_name,
                case when v_grant.grantee = 0 then 'public'
                     else pg_catalog.quote_ident(v_grant.grantee::regrole::text) end,
                case when v_grant.is_grantable then ' with grant option' else '' end);
        end loop;
        if v_table.table_comment is not null then
            execute pg_catalog.format('comment on table %s is %L', v_table.table_name, v_table.table_comment);
        end if;
        update supalert_migrations.adopted_tables set restored_at = pg_catalog.now()
         where table_name = v_table.table_name;
    end loop;
end
$restore$;

-- supalert:source sql/functions/partition_by_day.sql sha256=e2a8dc1bfadbc80704e65e8cb6d60d2e3a0eebee975931b857a610de9df326b4
-- monitoring.partition_by_day(table, time column, premake, include): returns what it did, as text. Turns an ordinary table
-- into one partitioned by UTC day on p_column and registers it in monitoring.partitioned_tables; a table already
-- partitioned is only registered. The rows are copied, ids and all, into day partitions (far-future ones into the
-- default partition) under an ACCESS EXCLUSIVE lock, so inserts wait until the migration commits. Carried over:
-- columns, defaults, identity and serial sequences, checks, indexes, unique and foreign keys, RLS policies, grants,
-- owner, comments and publications. The primary key becomes (p_column, old key columns) include (p_include), since a
-- partitioned table's keys must include p_column; it replaces a plain index on p_column alone, and the included
-- columns let the rules answer from the index alone. Refused, naming the object and the way out: more than supalert.convert_max_rows rows
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
    v_serials text[] := '{}'::text[];
    v_serial record;
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

    -- A serial's sequence belongs to the old table's column while the new table's default uses it: detach it so
    -- the drop leaves it, then give it to the new table's column.
    for v_serial in
        select s.oid::regclass::text as seq, a.attname
          from pg_catalog.pg_depend as d
          join pg_catalog.pg_class as s on s.oid = d.objid
          join pg_catalog.pg_attribute as a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
         where d.refobjid = v_table and d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and d.deptype = 'a'
           and s.relkind = 'S'
    loop
        execute pg_catalog.format('alter sequence %s owned by none', v_serial.seq);
        v_serials := v_serials || array[v_serial.seq, v_serial.attname];
    end loop;
    execute pg_catalog.format('drop table %s', v_table);
    v_table := v_new;
    for v_i in 1 .. coalesce(pg_catalog.array_length(v_serials, 1), 0) / 2 loop
        execute pg_catalog.format('alter sequence %s owned by %s.%I', v_serials[2 * v_i - 1], v_table,
                                  v_serials[2 * v_i]);
    end loop;
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

-- supalert:source sql/functions/severity_level.sql sha256=932b508e476eb0bff58c02f1d6f38bf37c8221de02866523ee6338ba25b5cf2a
-- monitoring.severity_level(word): returns the severity (critical, high, warning, info) that an app's severity word
-- means, by monitoring.severity_aliases, or null for a word the table does not know (case and surrounding spaces
-- ignored). Telemetry keeps the words the app wrote; everything that groups or filters them by severity reads them
-- through this mapping (the error metrics through monitoring.severity_words). Admins' dashboards and service_role
-- (security definer: the alias table is private).
create or replace function monitoring.severity_level(p_word text)
returns text
language sql
stable
security definer
set search_path = ''
as $$
    select a.severity from monitoring.severity_aliases as a where a.word = pg_catalog.lower(pg_catalog.btrim(p_word))
$$;

comment on function monitoring.severity_level(text) is
'The severity (critical, high, warning, info) an app''s severity word means, by monitoring.severity_aliases.';

revoke execute on function monitoring.severity_level(text) from public, anon, authenticated;
grant execute on function monitoring.severity_level(text) to authenticated, service_role;
-- supalert:end sql/functions/severity_level.sql

-- supalert:source sql/functions/severity_words.sql sha256=f300b8e5062adabcb88e88e461d15fda9c37e1900b76e7619a25dec4fad0c1af
-- monitoring.severity_words(severities): returns every word (lower case, trimmed) that monitoring.severity_aliases
-- maps to one of `p_severities`, for filters over telemetry written in the app's own words
-- (lower(btrim(severity::text)) = any (...)). Called by the error metrics once per evaluation; owner only.
create or replace function monitoring.severity_words(p_severities text[])
returns text[]
language sql
stable
set search_path = ''
as $$
    select coalesce(pg_catalog.array_agg(a.word order by a.word), '{}'::text[])
      from monitoring.severity_aliases as a
     where a.severity = any (p_severities)
$$;

comment on function monitoring.severity_words(text[]) is
'Every word monitoring.severity_aliases maps to one of the given severities (lower case).';

revoke execute on function monitoring.severity_words(text[]) from public, anon, authenticated;
-- supalert:end sql/functions/severity_words.sql

-- supalert:source sql/functions/system_health.sql sha256=1b8af741dd80d5bfaf06aeca427004fb4678a35ccb7ef003ff1c93c38fe10e67
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
                    -- By supalert's severities: the app's words (medium, ERROR, ...) mapped, unknown ones 'other'.
                    (select pg_catalog.jsonb_object_agg(y.severity, y.n)
                       from (select coalesce(monitoring.severity_level(x.word), 'other') as severity,
                                    pg_catalog.sum(x.n) as n
                               from (select e2.severity::text as word, pg_catalog.count(*) as n
                                       from public.error_logs as e2
                                      where e2.occurred_at > v_hour_ago and e2.occurred_at <= p_now
                                      group by 1) as x
                              group by 1) as y),
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

-- supalert:source sql/rules/metric_error_count.sql sha256=28a88955bddf2fc43722122bf93ee6882f44048d2cfd3511fbec495fe13cdb91
-- monitoring.metric_error_count(rule, now): the number of public.error_logs rows in the rule's window whose
-- severity word means one of params.severities (default high and critical, as the seed's check_error_rate_threshold
-- counted), by monitoring.severity_aliases: 'error' and 'CRITICAL' count, 'medium' and 'low' do not.
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
    -- The app's own words for those severities (medium, ERROR, ...): monitoring.severity_aliases.
    v_words text[] := monitoring.severity_words(v_severities);
    v_errors bigint;
    v_no_data boolean := false;
begin
    select pg_catalog.count(*)
      into v_errors
      from public.error_logs as e
     where e.occurred_at > v_from and e.occurred_at <= p_now
       and pg_catalog.lower(pg_catalog.btrim(e.severity::text)) = any (v_words);
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
'Metric: error_logs rows in the window whose severity means one of params.severities (default critical, high).';

revoke execute on function monitoring.metric_error_count(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_error_count.sql

-- supalert:source sql/rules/metric_error_rate_percentage.sql sha256=68865237d2600cf10a5e5e6f744445f635c132c6833df01c60e5e79f59bae02a
-- monitoring.metric_error_rate_percentage(rule, now): errors per 100 requests in the window. Errors: public.error_logs
-- rows in the window (all severities, or those whose word means one of params.severities, by
-- monitoring.severity_aliases). Requests: public.performance_metrics rows with metric_type 'edge_function' in the
-- window, since every edge function logs one timing per call (the seed's "Edge Function Performance" snippet).
-- No requests in the window is no data. Metric interface; evaluate only.
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
    -- The app's own words for those severities (medium, ERROR, ...): monitoring.severity_aliases.
    v_words text[] := case when v_severities is not null then monitoring.severity_words(v_severities) end;
    v_errors bigint;
    v_requests bigint;
begin
    select pg_catalog.count(*)
      into v_errors
      from public.error_logs as e
     where e.occurred_at > v_from and e.occurred_at <= p_now
       and (v_words is null or pg_catalog.lower(pg_catalog.btrim(e.severity::text)) = any (v_words));
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
