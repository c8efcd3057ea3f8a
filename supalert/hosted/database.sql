-- One database of a hosted Supabase project (PG15), for plain clusters: schemas, grants, default privileges, the
-- auth.* stand-ins, the extensions a new project has, and the event triggers that hand pg_cron and pg_net to
-- postgres when it enables them. Run connected as supabase_admin, after hosted_roles.sql, in a database owned by
-- postgres. Facts and sources: shared/reference/supabase-privileges.md sections 1-3 and 9. Idempotent.

do $publication$
begin
    execute pg_catalog.format('grant all on database %I to postgres, dashboard_user', pg_catalog.current_database());
    if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
        create publication supabase_realtime;
    end if;
    alter publication supabase_realtime owner to postgres;
end
$publication$;

-- Schemas and who may use them.
create schema if not exists extensions authorization postgres;
grant usage on schema extensions to anon, authenticated, service_role;
grant all on schema extensions to dashboard_user;
create schema if not exists auth authorization supabase_admin;
create schema if not exists storage authorization supabase_admin;
create schema if not exists realtime authorization supabase_admin;
create schema if not exists graphql_public authorization supabase_admin;
create schema if not exists pgbouncer authorization pgbouncer;
grant usage on schema auth to anon, authenticated, service_role, postgres;
grant all on schema auth to supabase_auth_admin, dashboard_user;
grant usage on schema storage to anon, authenticated, service_role;
grant usage on schema storage to postgres with grant option;
grant all on schema storage to supabase_storage_admin, dashboard_user;
grant usage on schema realtime to anon, authenticated, service_role;
grant usage on schema realtime to postgres with grant option;
grant all on schema realtime to supabase_realtime_admin;
grant usage on schema graphql_public to postgres, anon, authenticated, service_role;
grant usage on schema public to postgres, anon, authenticated, service_role;

-- Default privileges, as a hosted 15.8 project's pg_dumpall shows them: everything postgres (or supabase_admin)
-- creates in public is granted to the API roles, so RLS is the only barrier.
alter default privileges for role postgres in schema public
grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema extensions
grant all on tables to postgres with grant option;
alter default privileges for role supabase_admin in schema extensions
grant all on functions to postgres with grant option;
alter default privileges for role supabase_admin in schema extensions
grant all on sequences to postgres with grant option;
alter default privileges for role postgres in schema storage
grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema storage
grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema storage
grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema realtime
grant all on tables to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema realtime
grant all on functions to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema realtime
grant all on sequences to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema graphql_public
grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema graphql_public
grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema graphql_public
grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_auth_admin in schema auth
grant all on tables to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth
grant all on functions to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth
grant all on sequences to postgres, dashboard_user;

-- Stand-ins for GoTrue's auth.users and helpers, owned as GoTrue's are (supabase_auth_admin): postgres may read
-- and write the table and call the helpers, but not alter them.
create table if not exists auth.users (
    id uuid primary key,
    email text,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    created_at timestamptz default now()
);
alter table auth.users owner to supabase_auth_admin;
alter table auth.users enable row level security;

create or replace function auth.uid() returns uuid
language sql stable set search_path = ''
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
$$;

create or replace function auth.role() returns text
language sql stable set search_path = ''
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
    )::text
$$;

create or replace function auth.email() returns text
language sql stable set search_path = ''
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.email', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
    )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable set search_path = ''
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant insert, references, delete, trigger, truncate, update on auth.users to postgres;
grant select on auth.users to postgres with grant option;
grant all on auth.users to dashboard_user;
grant all on function auth.uid(), auth.role(), auth.email(), auth.jwt() to postgres, dashboard_user;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt() to anon, authenticated, service_role;

-- The extensions a new project has (owned by supabase_admin); pgjwt and pg_graphql are not packaged for Debian.
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_stat_statements with schema extensions;
grant all on all tables in schema extensions to postgres with grant option;
grant all on all routines in schema extensions to postgres with grant option;
grant all on all sequences in schema extensions to postgres with grant option;
grant all on all tables in schema extensions to dashboard_user;
grant all on all routines in schema extensions to dashboard_user;

-- Supabase's grant-on-create event triggers (supabase/postgres migrations 20260730000000 and 20250220051611):
-- they hand pg_cron and pg_net to postgres whoever creates them.
create or replace function extensions.grant_pg_cron_access() returns event_trigger
language plpgsql
as $$
begin
    if exists (
        select from pg_event_trigger_ddl_commands() as ev join pg_extension as ext on ev.objid = ext.oid
         where ext.extname = 'pg_cron'
    ) then
        grant usage on schema cron to postgres with grant option;
        alter default privileges in schema cron grant all on tables to postgres with grant option;
        alter default privileges in schema cron grant all on functions to postgres with grant option;
        alter default privileges in schema cron grant all on sequences to postgres with grant option;
        alter default privileges for user supabase_admin in schema cron grant all on sequences to postgres
        with grant option;
        alter default privileges for user supabase_admin in schema cron grant all on tables to postgres
        with grant option;
        alter default privileges for user supabase_admin in schema cron grant all on functions to postgres
        with grant option;
        grant all privileges on all tables in schema cron to postgres with grant option;
        revoke all on table cron.job from postgres;
        grant select on table cron.job to postgres with grant option;
        revoke trigger on cron.job_run_details from postgres;
    end if;
end;
$$;

create or replace function extensions.grant_pg_net_access() returns event_trigger
language plpgsql
as $$
begin
    if exists (
        select from pg_event_trigger_ddl_commands() as ev join pg_extension as ext on ev.objid = ext.oid
         where ext.extname = 'pg_net'
    ) then
        grant usage on schema net to supabase_functions_admin, postgres, anon, authenticated, service_role;
    end if;
end;
$$;

do $triggers$
begin
    if not exists (select from pg_catalog.pg_event_trigger where evtname = 'issue_pg_cron_access') then
        create event trigger issue_pg_cron_access on ddl_command_end when tag in ('CREATE EXTENSION')
        execute function extensions.grant_pg_cron_access();
    end if;
    if not exists (select from pg_catalog.pg_event_trigger where evtname = 'issue_pg_net_access') then
        create event trigger issue_pg_net_access on ddl_command_end when tag in ('CREATE EXTENSION')
        execute function extensions.grant_pg_net_access();
    end if;
end
$triggers$;
grant all on function extensions.grant_pg_cron_access() to postgres with grant option;
revoke all on function extensions.grant_pg_net_access() from postgres;

-- Vault is pre-installed on a hosted project (schema vault, owned by supabase_admin). It works only when the
-- server preloads it (shared_preload_libraries, vault.getkey_script), so it is made only there.
do $vault$
begin
    if exists (select from pg_catalog.pg_available_extensions where name = 'supabase_vault')
       and pg_catalog.current_setting('shared_preload_libraries') ~ '(^|[ ,])supabase_vault([ ,]|$)' then
        create schema if not exists vault authorization supabase_admin;
        create extension if not exists supabase_vault with schema vault;
        grant usage on schema vault to postgres with grant option;
        grant select, references, delete, truncate on vault.secrets, vault.decrypted_secrets to postgres
        with grant option;
        grant execute on function vault.create_secret, vault.update_secret, vault._crypto_aead_det_decrypt
        to postgres with grant option;
        grant usage on schema vault to service_role;
        grant select, delete on vault.secrets, vault.decrypted_secrets to service_role;
        grant execute on function vault.create_secret, vault.update_secret, vault._crypto_aead_det_decrypt
        to service_role;
    end if;
end
$vault$;
