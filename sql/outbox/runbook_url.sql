-- monitoring.runbook_url(rule key): the link a notification of this rule carries to its runbook: the rule's own
-- runbook_url when set (a custom rule's, or a team's wiki page), else the dashboard's page of the shipped runbook
-- (monitoring.settings.dashboard_url + /runbooks/<key>, served from rules/<key>.md), else null (no dashboard
-- address is set, or a custom SQL rule without a runbook_url: it has no shipped page). Engine only (the outbox).
create or replace function monitoring.runbook_url(p_rule text)
returns text
language plpgsql
stable
set search_path = ''
-- plpgsql, not sql: its statement is planned once per session, not at each call (30 us a notification, measured).
as $$
begin
    return (
        select coalesce(
            r.runbook_url,
            case when r.metric_function is distinct from 'metric_custom_sql'
                 then pg_catalog.rtrim(s.dashboard_url, '/') || '/runbooks/' || r.key end
        )
          from monitoring.rules as r
          left join monitoring.settings as s on true
         where r.key = p_rule
    );
end;
$$;

comment on function monitoring.runbook_url(text) is
'The runbook link of a rule: its runbook_url, else the dashboard''s /runbooks/<key>, else null. Engine only.';

revoke execute on function monitoring.runbook_url(text) from public, anon, authenticated;
