-- monitoring.evaluate_on_schedule(): returns the number of series evaluated. The body of pg_cron's
-- supalert-evaluate job: monitoring.evaluate() for every due rule, then, when that wrote notifications due now and
-- supalert-dispatch is scheduled (pg_net, Vault and the secrets exist), one pg_net call of check-alert-triggers
-- from the same transaction. pg_net sends a request only after its transaction commits, so the call finds the new
-- rows; left to supalert-dispatch, which starts alongside this job on the same schedule, they waited a whole
-- extra cycle (bench/delivery_latency.py). A failed call never undoes the evaluation: supalert-dispatch still
-- runs, and monitoring.liveness reports its failures. pg_cron only; owner.
create or replace function monitoring.evaluate_on_schedule()
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    v_series bigint;
begin
    select count(*) into v_series from monitoring.evaluate();
    if exists (select from monitoring.notifications as n
                where n.status = 'pending' and n.next_attempt_at <= pg_catalog.now()
                  and n.created_at = pg_catalog.now())
       and exists (select from cron.job as j where j.jobname = 'supalert-dispatch' and j.active) then
        begin
            perform monitoring.dispatch_via_pg_net();
        exception when others then
            null;  -- see above: the scheduled job retries, and liveness tells
        end;
    end if;
    return v_series;
end;
$$;

comment on function monitoring.evaluate_on_schedule() is
'supalert-evaluate''s body: evaluate due rules, then call check-alert-triggers at once if that wrote notifications.';

revoke execute on function monitoring.evaluate_on_schedule() from public, anon, authenticated;
