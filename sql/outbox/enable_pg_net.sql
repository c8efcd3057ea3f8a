-- monitoring.enable_pg_net(): returns null when pg_net is installed (or has just been created), else a sentence
-- saying why it could not be and how to enable it. Runs as its caller: on Supabase `postgres` may create pg_net
-- (supautils runs it as the superuser); elsewhere only a superuser may. Called by the migrations,
-- `deploy.py migrate` and `deploy.py secrets set`; not for the Data API.
create or replace function monitoring.enable_pg_net()
returns text
language plpgsql
set search_path = ''
as $$
declare
    v_error text;
begin
    if exists (select from pg_catalog.pg_extension where extname = 'pg_net') then
        return null;
    end if;
    if not exists (select from pg_catalog.pg_available_extensions where name = 'pg_net') then
        return 'pg_net is not available on this server (Supabase has it; elsewhere install pg_net and add it to '
            'shared_preload_libraries), so the database cannot call check-alert-triggers itself: schedule '
            '`python deploy.py dispatch` every minute elsewhere';
    end if;
    begin
        -- Supabase keeps extensions in the schema `extensions`; pg_net's own objects land in `net` either way.
        if pg_catalog.to_regnamespace('extensions') is not null then
            create extension if not exists pg_net with schema extensions;
        else
            create extension if not exists pg_net;
        end if;
    exception when others then
        get stacked diagnostics v_error = message_text;
        return pg_catalog.format(
            '%s may not create pg_net here (%s): enable it in the Supabase Dashboard (Database > Extensions > '
            'pg_net) or as a superuser with: create extension pg_net with schema extensions;',
            current_user, v_error
        );
    end;
    return null;
end;
$$;

comment on function monitoring.enable_pg_net() is
'Creates pg_net where the caller may; returns null when it is there, else why not and how to enable it.';

revoke execute on function monitoring.enable_pg_net() from public, anon, authenticated;
