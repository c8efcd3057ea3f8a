-- monitoring.require_columns(table, columns): returns nothing; raises when `p_table` already exists without some
-- of `p_columns`, naming them. Migrations call it before `create table if not exists`, so a platform table with
-- other columns stops the migration with a clear message instead of a confusing failure later. Owner only.
create or replace function monitoring.require_columns(p_table text, p_columns text[])
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
    v_missing text[];
begin
    if pg_catalog.to_regclass(p_table) is null then
        return;
    end if;
    select pg_catalog.array_agg(wanted.col order by wanted.ord)
      into v_missing
      from pg_catalog.unnest(p_columns) with ordinality as wanted (col, ord)
     where not exists (
           select
             from pg_catalog.pg_attribute as a
            where a.attrelid = pg_catalog.to_regclass(p_table)
              and a.attname = wanted.col
              and a.attnum > 0
              and not a.attisdropped);
    if v_missing is not null then
        raise exception '% already exists without the column(s) supalert needs: %',
            p_table, pg_catalog.array_to_string(v_missing, ', ')
            using hint = pg_catalog.format(
                'Add them (alter table %s add column ...) or rename the existing table, then run migrate again.',
                p_table),
                  errcode = 'undefined_column';
    end if;
end;
$$;

comment on function monitoring.require_columns(text, text[]) is
'Raises, naming the missing columns, when p_table exists without all of p_columns. Used by migrations.';

revoke execute on function monitoring.require_columns(text, text[]) from public, anon, authenticated;
