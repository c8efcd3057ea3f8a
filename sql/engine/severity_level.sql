-- monitoring.severity_level(word): returns the severity (critical, high, warning, info) that an app's severity word
-- means, by monitoring.severity_aliases, or null for a word the table does not know (case and surrounding spaces
-- ignored). Telemetry keeps the words the app wrote; everything that groups or filters them by severity reads them
-- through this mapping (the error metrics through monitoring.severity_words). Admins' dashboards and service_role
-- (security definer: the alias table is private).
create or replace function monitoring.severity_level(p_word text)
returns text
language sql
stable
security definer
set search_path = ''
as $$
    select a.severity from monitoring.severity_aliases as a where a.word = pg_catalog.lower(pg_catalog.btrim(p_word))
$$;

comment on function monitoring.severity_level(text) is
'The severity (critical, high, warning, info) an app''s severity word means, by monitoring.severity_aliases.';

revoke execute on function monitoring.severity_level(text) from public, anon, authenticated;
grant execute on function monitoring.severity_level(text) to authenticated, service_role;
