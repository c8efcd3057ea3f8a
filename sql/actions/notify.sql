-- monitoring.notify(severity, title, message, category, metadata, now): returns (alert_id, notifications).
-- What send-alert-notification records: an alert raised by the app or a person rather than a rule (the seed's
-- body {severity, title, message, category}), with its outbox rows, in one transaction. Severity 'medium' means
-- warning. Category system_test is a test: recorded already resolved (it must not linger as an open incident) and
-- sent at once even where the route is a digest. Admins, service_role and database logins.
create or replace function monitoring.notify(
    p_severity text,
    p_title text,
    p_message text,
    p_category text,
    p_metadata jsonb default '{}'::jsonb,
    p_now timestamptz default pg_catalog.now()
)
returns table (alert_id uuid, notifications integer)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_severity text := pg_catalog.lower(pg_catalog.btrim(p_severity));
    v_test boolean := p_category = 'system_test';
    v_id uuid;
begin
    perform monitoring.require_admin();
    v_severity := case v_severity when 'medium' then 'warning' else v_severity end;
    if v_severity is null or monitoring.severity_rank(v_severity) is null then
        raise exception 'severity must be %, not %',
            (select pg_catalog.string_agg(s.severity, ', ' order by s.rank) from monitoring.severities as s),
            coalesce(p_severity, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    if coalesce(pg_catalog.btrim(p_title), '') = '' then
        raise exception 'title must not be empty' using errcode = 'invalid_parameter_value';
    end if;
    if coalesce(p_category, '') !~ '^[A-Za-z0-9_.:-]{1,100}$' then
        raise exception 'category must be 1 to 100 letters, digits or _ . : -' using errcode = 'invalid_parameter_value';
    end if;
    insert into public.system_alerts (
        alert_type, title, message, severity, metadata, fingerprint, status, resolved_at, created_at, last_seen_at
    ) values (
        p_category, p_title, coalesce(p_message, ''), v_severity,
        coalesce(p_metadata, '{}'::jsonb) || pg_catalog.jsonb_build_object(
            'source', 'send-alert-notification', 'category', p_category, 'labels', '{}'::jsonb),
        'manual:' || pg_catalog.gen_random_uuid()::text,
        case when v_test then 'resolved' else 'firing' end,
        case when v_test then p_now end,
        p_now, p_now
    )
    returning id into v_id;
    alert_id := v_id;
    notifications := monitoring.enqueue_notifications(v_id, case when v_test then 'test' else 'firing' end, p_now);
    return next;
end;
$$;

comment on function monitoring.notify(text, text, text, text, jsonb, timestamptz) is
'Records an alert sent by the app or a person, with its notifications. For send-alert-notification.';

revoke execute on function monitoring.notify(text, text, text, text, jsonb, timestamptz) from public, anon;
grant execute on function monitoring.notify(text, text, text, text, jsonb, timestamptz) to authenticated, service_role;
