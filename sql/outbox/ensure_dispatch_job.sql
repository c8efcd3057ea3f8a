-- monitoring.ensure_dispatch_job(): returns a sentence for the user: how often supalert-dispatch calls
-- check-alert-triggers, or what is still missing before it can (pg_net, Vault, the two secrets) and how to add it.
-- Schedules (or reschedules) the job as soon as nothing is missing, at monitoring.settings.dispatch_schedule, so
-- enabling pg_net or storing the secrets after `migrate` needs no re-migration. Called by the migrations,
-- `deploy.py migrate`, `deploy.py secrets set` and monitoring.set_schedules; owner only.
create or replace function monitoring.ensure_dispatch_job()
returns text
language plpgsql
set search_path = ''
as $$
declare
    c_command constant text := 'select monitoring.dispatch_via_pg_net()';
    v_missing text[];
    v_schedule text;
begin
    if not exists (select from pg_catalog.pg_extension where extname = 'pg_cron') then
        return 'supalert-dispatch is not scheduled: pg_cron is not installed';
    end if;
    v_missing := monitoring.dispatch_missing();
    if pg_catalog.cardinality(v_missing) > 0 then
        return pg_catalog.format(
            'supalert-dispatch is not scheduled, so nothing in the database calls check-alert-triggers: missing %s. '
            'Enable pg_net (Dashboard > Database > Extensions) and run `python deploy.py secrets set`, or run '
            '`python deploy.py dispatch` every minute from a scheduler', pg_catalog.array_to_string(v_missing, ', '));
    end if;
    select s.dispatch_schedule into v_schedule from monitoring.settings as s;
    if not exists (
        select from cron.job as j
         where j.jobname = 'supalert-dispatch' and j.schedule = v_schedule and j.command = c_command and j.active
    ) then
        -- Scheduling by name replaces an older supalert-dispatch (such as the first release's inline http_post).
        perform cron.schedule('supalert-dispatch', v_schedule, c_command);
        update monitoring.settings set dispatch_scheduled_at = pg_catalog.now(), updated_at = pg_catalog.now();
    end if;
    return pg_catalog.format('supalert-dispatch calls check-alert-triggers through pg_net (schedule %s)',
        pg_catalog.quote_literal(v_schedule));
end;
$$;

comment on function monitoring.ensure_dispatch_job() is
'Schedules supalert-dispatch once pg_net, Vault and the secrets exist; returns what it did or what is missing.';

revoke execute on function monitoring.ensure_dispatch_job() from public, anon, authenticated;
