-- monitoring.schedule_evaluation(): returns the pg_cron job id of supalert-evaluate, (re)scheduled at
-- monitoring.settings.evaluate_schedule to evaluate every enabled rule that is due, write the heartbeat and hand new
-- notifications to check-alert-triggers at once (monitoring.evaluate_on_schedule). pg_cron
-- alone evaluates where it runs; check-alert-triggers evaluates only where it does not (monitoring.dispatcher_evaluates).
-- Called by the migrations and monitoring.set_schedules; owner only.
create or replace function monitoring.schedule_evaluation()
returns bigint
language sql
set search_path = ''
as $$
    select cron.schedule(
        'supalert-evaluate',
        (select s.evaluate_schedule from monitoring.settings as s),
        'select monitoring.evaluate_on_schedule()'
    )
$$;

comment on function monitoring.schedule_evaluation() is
'(Re)schedules pg_cron job supalert-evaluate at monitoring.settings.evaluate_schedule; returns its job id.';

revoke execute on function monitoring.schedule_evaluation() from public, anon, authenticated;
