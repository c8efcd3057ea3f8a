-- monitoring.create_silence(rule, severity, labels, duration, comment, by): returns the new silence's id.
-- A silence stops notifications for alerts matching all its given matchers (rule key, severity, labels contained
-- in the alert's) from now for p_duration; alerts are still recorded. Admins only (CLI `silence`).
create or replace function monitoring.create_silence(
    p_rule_key text,
    p_severity text,
    p_labels jsonb,
    p_duration interval,
    p_comment text,
    p_by text default null
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_id uuid;
begin
    perform monitoring.require_admin();
    if p_rule_key is not null and not exists (select from monitoring.rules as r where r.key = p_rule_key) then
        raise exception 'unknown rule %', pg_catalog.quote_literal(p_rule_key)
            using errcode = 'no_data_found', hint = 'List the rules with: select key from monitoring.rules;';
    end if;
    if p_duration is null or p_duration <= interval '0' then
        raise exception 'silence duration must be positive, not %', coalesce(p_duration::text, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    insert into monitoring.silences (rule_key, severity, labels, starts_at, ends_at, created_by, comment)
    values (
        p_rule_key, p_severity, coalesce(p_labels, '{}'::jsonb), pg_catalog.now(), pg_catalog.now() + p_duration,
        coalesce(nullif(p_by, ''), auth.email(), auth.uid()::text, session_user::text), p_comment
    )
    returning id into v_id;
    return v_id;
end;
$$;

comment on function monitoring.create_silence(text, text, jsonb, interval, text, text) is
'Silences notifications for matching alerts for p_duration; alerts are still recorded. Admins only.';

revoke execute on function monitoring.create_silence(text, text, jsonb, interval, text, text) from public, anon;
grant execute on function monitoring.create_silence(text, text, jsonb, interval, text, text)
to authenticated, service_role;
