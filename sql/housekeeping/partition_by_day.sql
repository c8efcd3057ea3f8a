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
