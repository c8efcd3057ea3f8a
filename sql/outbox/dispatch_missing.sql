-- monitoring.dispatch_missing(): returns what the database still lacks to call check-alert-triggers itself (pg_net,
-- Vault, and the two Vault secrets `deploy.py secrets set` stores), each named as the user would enable it; empty
-- when nothing is missing. Vault is read through dynamic SQL so that the function exists where Vault does not.
-- Called by monitoring.ensure_dispatch_job and monitoring.liveness; owner only.
create or replace function monitoring.dispatch_missing()
returns text[]
language plpgsql
stable
set search_path = ''
as $$
declare
    v_missing text[] := '{}'::text[];
    v_found text[];
    v_secret text;
begin
    if not exists (select from pg_catalog.pg_extension where extname = 'pg_net') then
        v_missing := v_missing || 'the pg_net extension'::text;
    end if;
    if not exists (select from pg_catalog.pg_extension where extname = 'supabase_vault') then
        return v_missing || 'Supabase Vault (the supabase_vault extension)'::text;
    end if;
    -- The schema goes in through format(): a constant query would be checked by plpgsql_check (`supabase db
    -- lint`), which reports a missing relation as an error in every project without the extension.
    execute pg_catalog.format('select coalesce(pg_catalog.array_agg(s.name), ''{}'') from %I.decrypted_secrets as s'
        ' where s.name = any ($1) and coalesce(s.decrypted_secret, '''') <> ''''', 'vault')
        into v_found
        using array['supalert_project_url', 'supalert_dispatch_secret'];
    foreach v_secret in array array['supalert_project_url', 'supalert_dispatch_secret'] loop
        if not v_secret = any (v_found) then
            v_missing := v_missing || pg_catalog.format('the Vault secret %s', v_secret);
        end if;
    end loop;
    return v_missing;
end;
$$;

comment on function monitoring.dispatch_missing() is
'What the database lacks to call check-alert-triggers itself (pg_net, Vault, the two secrets); empty when none.';

revoke execute on function monitoring.dispatch_missing() from public, anon, authenticated;
