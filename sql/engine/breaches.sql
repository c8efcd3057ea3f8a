-- monitoring.breaches(value, comparison, threshold): whether `p_value` is past `p_threshold` in the direction of
-- `p_comparison` ('>', '>=', '<', '<='); null when the value is null. Used by the engine for both the firing
-- threshold and the resolve threshold. Engine only.
create or replace function monitoring.breaches(p_value numeric, p_comparison text, p_threshold numeric)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
begin
    return case p_comparison
        when '>' then p_value > p_threshold
        when '>=' then p_value >= p_threshold
        when '<' then p_value < p_threshold
        when '<=' then p_value <= p_threshold
    end;
end;
$$;

comment on function monitoring.breaches(numeric, text, numeric) is
'True when p_value is past p_threshold in the direction of p_comparison. Engine helper.';

revoke execute on function monitoring.breaches(numeric, text, numeric) from public, anon, authenticated;
