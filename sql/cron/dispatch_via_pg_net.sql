-- Job supalert-dispatch, only where pg_net and Supabase Vault exist (as on Supabase): every minute, calls the
-- check-alert-triggers edge function through pg_net, with the project URL and the dispatch secret read from Vault
-- (stored by `python deploy.py secrets set`), so no secret is written into cron.job. Elsewhere (plain Postgres,
-- the tests) nothing is scheduled and a notice says so: call `python deploy.py dispatch` from any scheduler.
do $$
begin
    if exists (select from pg_catalog.pg_extension where extname = 'pg_net')
       and exists (select from pg_catalog.pg_extension where extname = 'supabase_vault') then
        perform cron.schedule(
            'supalert-dispatch',
            '* * * * *',
            $job$
            select net.http_post(
                url := (select s.decrypted_secret from vault.decrypted_secrets as s
                         where s.name = 'supalert_project_url') || '/functions/v1/check-alert-triggers',
                headers := pg_catalog.jsonb_build_object(
                    'Content-Type', 'application/json',
                    'Authorization', 'Bearer ' || (select s.decrypted_secret from vault.decrypted_secrets as s
                                                    where s.name = 'supalert_dispatch_secret')),
                body := '{}'::jsonb,
                timeout_milliseconds := 55000
            )
            $job$
        );
    else
        raise notice 'supalert: pg_net or Supabase Vault is not installed here, so the database does not call '
            'check-alert-triggers; run `python deploy.py dispatch` every minute from a scheduler instead';
    end if;
end
$$;
