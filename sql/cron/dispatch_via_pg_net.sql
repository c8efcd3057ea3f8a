-- Job supalert-dispatch: at monitoring.settings.dispatch_schedule, calls the check-alert-triggers edge function
-- through pg_net (monitoring.dispatch_via_pg_net, URL and credential read from Vault). pg_net is created where the
-- migrating role may (on Supabase `postgres` may); the job is scheduled as soon as pg_net, Vault and the two secrets
-- exist, here or later by `deploy.py secrets set` or `deploy.py migrate`. The notices say what is missing.
do $$
declare
    v_note text := monitoring.enable_pg_net();
begin
    if v_note is not null then
        raise notice 'supalert: %', v_note;
    end if;
    raise notice 'supalert: %', monitoring.ensure_dispatch_job();
end
$$;
