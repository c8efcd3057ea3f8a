-- monitoring.observe_engine_rule(key, labels, firing, detail, now, value, lock): returns the id of the alert the
-- observation opened, bumped or resolved, or null when there was nothing to do (the rule disabled and the
-- observation firing; or clearing with no open alert and no pending count). The one way the engine's own rules
-- (rule_error, notification_dead, monitor_down: kind 'engine', never evaluated) raise and resolve their alerts,
-- through the same lifecycle as any rule (monitoring.apply_observation): routes, repeats, resolves and silences
-- apply. A disabled engine rule opens nothing but still resolves what it opened. `p_value` defaults to 1 when
-- firing, 0 when not. With p_lock (the default) the rule's lock is taken first; rule_error is called without it,
-- under the failing rule's own lock (its labels name that rule), which keeps the key order that prevents
-- deadlocks. Engine only.
create or replace function monitoring.observe_engine_rule(
    p_key text,
    p_labels jsonb,
    p_firing boolean,
    p_detail jsonb,
    p_now timestamptz,
    p_value numeric default null,
    p_lock boolean default true
)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
    v_rule monitoring.rules;
    v_fingerprint text := monitoring.fingerprint(p_labels);
    v_alert_id uuid;
begin
    select r.* into v_rule from monitoring.rules as r where r.key = p_key and r.kind = 'engine';
    if not found then
        raise exception 'engine rule % does not exist', pg_catalog.quote_literal(p_key)
            using errcode = 'no_data_found', hint = 'Re-run python deploy.py migrate: the engine rules are seed data.';
    end if;
    if p_firing and not v_rule.enabled then
        return null;
    end if;
    -- Clearing what was never raised is the common case (every delivery that succeeds): no lock, no write.
    if not p_firing
       and not exists (select from public.system_alerts as a
                        where a.alert_type = p_key and a.fingerprint = v_fingerprint and a.resolved_at is null)
       and not exists (select from monitoring.rule_state as s
                        where s.rule_key = p_key and s.fingerprint = v_fingerprint and s.consecutive_breaches > 0)
    then
        return null;
    end if;
    if p_lock then
        perform monitoring.lock_rule(p_key);
    end if;
    select o.alert_id
      into v_alert_id
      from monitoring.apply_observation(
          v_rule, p_labels, coalesce(p_value, case when p_firing then 1 else 0 end), p_detail, false, p_now
      ) as o;
    return v_alert_id;
end;
$$;

comment on function monitoring.observe_engine_rule(text, jsonb, boolean, jsonb, timestamptz, numeric, boolean) is
'Raises, bumps or resolves an alert of an engine rule (rule_error, notification_dead, monitor_down). Engine only.';

revoke execute on function monitoring.observe_engine_rule(text, jsonb, boolean, jsonb, timestamptz, numeric, boolean)
from public, anon, authenticated;
