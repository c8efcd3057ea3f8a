-- monitoring.apply_observation(rule, labels, value, detail, no_data, now): returns (state, alert_id, fingerprint).
-- The alert lifecycle for one series of one rule: monitoring.apply_observations for one series (pending, firing,
-- repeat, resolve and no data are decided there). Callers hold the rule's advisory lock. Engine only
-- (observe_engine_rule).
create or replace function monitoring.apply_observation(
    p_rule monitoring.rules,
    p_labels jsonb,
    p_value numeric,
    p_detail jsonb,
    p_no_data boolean,
    p_now timestamptz
)
returns table (state text, alert_id uuid, fingerprint text)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    select o.state, o.alert_id, o.fingerprint
      from monitoring.apply_observations(
          p_rule, array[p_labels], array[p_value], array[p_detail], array[p_no_data], p_now
      ) as o;
end;
$$;

comment on function monitoring.apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz) is
'The alert lifecycle for one series: pending, firing, repeat, resolve, no data. Engine only (monitoring.evaluate).';

revoke execute on function monitoring.apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz)
from public, anon, authenticated;
