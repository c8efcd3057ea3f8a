-- monitoring.escalate(now): returns the number of alerts escalated at p_now. An alert still firing (not
-- acknowledged, not resolved) whose type (monitoring.alert_types, through its rule) has a response time is
-- escalated when its response time plus a step's delay has passed: one 'escalation' notification per channel
-- of that step (monitoring.escalation_steps), to the step's recipients or the channel's own. Each step is sent
-- once; when several fell due since the last run (the engine was down), only the highest is sent, so a person
-- is not paged for every step at once. Acknowledging stops it; a silence records the rows as suppressed.
-- Concurrent runs cannot escalate twice: the step is advanced under the alert's row lock. Called by
-- monitoring.evaluate (pg_cron) every minute; admins and service_role may run it by hand.
create or replace function monitoring.escalate(p_now timestamptz default pg_catalog.now())
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_alert_id uuid;
    v_escalated integer := 0;
begin
    perform monitoring.require_admin();
    for v_alert_id in
        with due as (
            select a.id, max(s.step) as step
              from public.system_alerts as a
              join monitoring.rules as r on r.key = a.alert_type
              join monitoring.alert_types as t on t.key = r.alert_type
              join monitoring.escalation_steps as s on s.alert_type = t.key
             where a.status = 'firing'
               and t.response_time is not null
               and s.enabled
               and s.step > a.escalation_step
               and a.created_at + t.response_time + s.delay <= p_now
             group by a.id
        )
        update public.system_alerts as a
           set escalation_step = d.step, escalated_at = p_now
          from due as d
         where a.id = d.id and a.status = 'firing' and a.escalation_step < d.step
        returning a.id
    loop
        perform monitoring.enqueue_notifications(v_alert_id, 'escalation', p_now);
        v_escalated := v_escalated + 1;
    end loop;
    return v_escalated;
end;
$$;

comment on function monitoring.escalate(timestamptz) is
'Escalates firing alerts past their type''s response time, one step at a time. Admins and service_role.';

revoke execute on function monitoring.escalate(timestamptz) from public, anon;
grant execute on function monitoring.escalate(timestamptz) to authenticated, service_role;
