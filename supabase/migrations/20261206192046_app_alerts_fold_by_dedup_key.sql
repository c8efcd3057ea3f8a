-- 20261206192046_app_alerts_fold_by_dedup_key: written by `python deploy.py new-migration app_alerts_fold_by_dedup_key`.
-- Blocks between supalert:source and supalert:end are copies of sql/ and of the rules/ definitions; change
-- those and generate a new migration instead of editing them. Hand-written statements may go above or
-- below the blocks.

-- The notify without dedup_key goes first: beside the new one, every call of 4 to 6 arguments would be ambiguous.
-- Its callers (send-alert-notification, tests, benches) pass at most 6 arguments, which the new one takes.
-- squawk-ignore ban-drop-function
drop function if exists monitoring.notify(text, text, text, text, jsonb, timestamptz);

-- supalert:source sql/actions/notify.sql sha256=51bb3d698e7948f66670a97a2da33df546e76c3ffeb766d28966b13358f4083a
-- monitoring.notify(severity, title, message, category, metadata, now, dedup_key): returns (alert_id,
-- notifications, occurrences). What send-alert-notification records: an alert raised by the app or a person rather
-- than a rule (the seed's body {severity, title, message, category}), with its outbox rows, in one transaction.
-- Repeats fold into the open alert of the same category and key (dedup_key, PagerDuty's name, else the title): its
-- occurrences and last_seen_at grow, its message becomes the newest, and nothing is sent again; after a resolve
-- the next one opens a new alert. Severity 'medium' means warning. Category system_test is a test: never folded,
-- recorded already resolved (it must not linger as an open incident) and sent at once even where the route is a
-- digest. Admins, service_role and database logins.
create or replace function monitoring.notify(
    p_severity text,
    p_title text,
    p_message text,
    p_category text,
    p_metadata jsonb default '{}'::jsonb,
    p_now timestamptz default pg_catalog.now(),
    p_dedup_key text default null
)
returns table (alert_id uuid, notifications integer, occurrences integer)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_severity text := pg_catalog.lower(pg_catalog.btrim(p_severity));
    v_test boolean := p_category = 'system_test';
    v_key text := coalesce(nullif(pg_catalog.btrim(p_dedup_key), ''), pg_catalog.btrim(p_title));
    v_alert record;
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
    -- The unique index of open alerts (alert_type, fingerprint) makes concurrent repeats fold into one row.
    insert into public.system_alerts as a (
        alert_type, title, message, severity, metadata, fingerprint, status, resolved_at, created_at, last_seen_at
    ) values (
        p_category, p_title, coalesce(p_message, ''), v_severity,
        coalesce(p_metadata, '{}'::jsonb) || pg_catalog.jsonb_build_object(
            'source', 'send-alert-notification', 'category', p_category, 'dedup_key', v_key,
            'labels', '{}'::jsonb),
        case when v_test then 'test:' || pg_catalog.gen_random_uuid()::text
             else monitoring.fingerprint(pg_catalog.jsonb_build_object('dedup_key', v_key)) end,
        case when v_test then 'resolved' else 'firing' end,
        case when v_test then p_now end,
        p_now, p_now
    )
    on conflict (alert_type, fingerprint) where resolved_at is null do update
       set occurrences = a.occurrences + 1,
           last_seen_at = greatest(a.last_seen_at, excluded.last_seen_at),
           message = excluded.message
    returning a.id, a.occurrences, (a.xmax = 0) as opened into v_alert;
    alert_id := v_alert.id;
    occurrences := v_alert.occurrences;
    notifications := case
        when v_alert.opened then
            monitoring.enqueue_notifications(v_alert.id, case when v_test then 'test' else 'firing' end, p_now)
        else 0
    end;
    return next;
end;
$$;

comment on function monitoring.notify(text, text, text, text, jsonb, timestamptz, text) is
'Records an alert sent by the app or a person, with its notifications; a repeat folds into the open one (by '
'category and dedup_key or title). For send-alert-notification.';

revoke execute on function monitoring.notify(text, text, text, text, jsonb, timestamptz, text) from public, anon;
grant execute on function monitoring.notify(text, text, text, text, jsonb, timestamptz, text)
to authenticated, service_role;
-- supalert:end sql/actions/notify.sql

-- supalert:source sql/actions/resolve_app_alert.sql sha256=5d127f2bf9274c9bfdff236021886af4cb02459ffcb01c5b84a3bb2d24dd12ee
-- monitoring.resolve_app_alert(dedup_key, category, now): returns (alert_id, notifications) for each open alert of
-- the app's that it resolved: those monitoring.notify opened under that key (and category, when given). None open
-- is not an error (an app resolving in a loop, as it alerts). Each resolve goes to the channels that heard the
-- firing. Admins, service_role and database logins (send-alert-notification's {"action": "resolve"}).
create or replace function monitoring.resolve_app_alert(
    p_dedup_key text, p_category text default null, p_now timestamptz default pg_catalog.now()
)
returns table (alert_id uuid, notifications integer)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_id uuid;
begin
    perform monitoring.require_admin();
    if coalesce(pg_catalog.btrim(p_dedup_key), '') = '' then
        raise exception 'dedup_key must not be empty' using errcode = 'invalid_parameter_value';
    end if;
    for v_id in
        update public.system_alerts as a
           set status = 'resolved',
               resolved_at = p_now,
               metadata = a.metadata || '{"resolved_by": "send-alert-notification"}'::jsonb
         where a.resolved_at is null
           and a.metadata ->> 'source' = 'send-alert-notification'
           and a.fingerprint = monitoring.fingerprint(
               pg_catalog.jsonb_build_object('dedup_key', pg_catalog.btrim(p_dedup_key)))
           and (p_category is null or a.alert_type = p_category)
        returning a.id
    loop
        alert_id := v_id;
        notifications := monitoring.enqueue_notifications(v_id, 'resolved', p_now);
        return next;
    end loop;
end;
$$;

comment on function monitoring.resolve_app_alert(text, text, timestamptz) is
'Resolves the open app alerts of a dedup_key (and category), with their resolve notifications. For '
'send-alert-notification.';

revoke execute on function monitoring.resolve_app_alert(text, text, timestamptz) from public, anon;
grant execute on function monitoring.resolve_app_alert(text, text, timestamptz) to authenticated, service_role;
-- supalert:end sql/actions/resolve_app_alert.sql
