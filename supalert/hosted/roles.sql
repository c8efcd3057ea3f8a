-- The roles of a hosted Supabase project (PG15), for plain clusters: the embedded local database and the test
-- cluster. Run once per cluster, connected as the bootstrap superuser supabase_admin (initdb -U supabase_admin).
-- On a Supabase project all of this exists already and this file is never run. Facts and sources:
-- shared/reference/supabase-privileges.md section 1 (the tested recipe: shared/reference/supabase-shape/).
-- Idempotent: a role that exists is left as it is.

do $roles$
declare
    v_role record;
begin
    for v_role in
        select *
          from (values
              ('anon', 'nologin inherit'),
              ('authenticated', 'nologin inherit'),
              ('service_role', 'nologin inherit bypassrls'),
              ('authenticator', 'login noinherit'),
              ('supabase_auth_admin', 'login noinherit createrole noreplication'),
              ('supabase_storage_admin', 'login noinherit createrole noreplication'),
              ('supabase_functions_admin', 'login noinherit createrole noreplication'),
              ('supabase_replication_admin', 'login replication'),
              ('supabase_read_only_user', 'login bypassrls'),
              ('supabase_realtime_admin', 'nologin noinherit'),
              ('dashboard_user', 'nologin createrole createdb replication'),
              ('pgbouncer', 'login'),
              -- The role users connect as: NOT a superuser (demoted by supabase/postgres
              -- migrations/db/migrations/10000000000000_demote-postgres.sql).
              ('postgres', 'login nosuperuser createrole createdb replication bypassrls inherit')
          ) as r (name, attributes)
    loop
        if not exists (select from pg_catalog.pg_roles where rolname = v_role.name) then
            execute pg_catalog.format('create role %I %s', v_role.name, v_role.attributes);
        end if;
    end loop;
end
$roles$;

grant anon, authenticated, service_role to authenticator;
grant pg_read_all_data to supabase_read_only_user;
grant authenticator to supabase_storage_admin;
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role supabase_auth_admin set search_path = auth;
alter role supabase_auth_admin set idle_in_transaction_session_timeout = 60000;
alter role supabase_storage_admin set search_path = storage;
alter role supabase_functions_admin set search_path = supabase_functions;
alter role supabase_read_only_user set default_transaction_read_only = on;
alter role supabase_admin set search_path to "$user", public, auth, extensions;

-- postgres's memberships on a PG15 project: the API roles, pg_monitor (so also pg_read_all_stats and
-- pg_read_all_settings), pg_read_all_data, pg_signal_backend, and on projects made before 2025-04
-- supabase_realtime_admin; supabase_functions_admin where webhooks (pg_net) are enabled.
alter role postgres set search_path = "$user", public, extensions;
grant anon, authenticated, service_role to postgres;
grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;
grant supabase_realtime_admin, supabase_functions_admin to postgres;
