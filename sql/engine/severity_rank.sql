-- monitoring.severity_rank(severity): returns the severity's rank in monitoring.severities (1 = critical, the most
-- urgent), or null for a word that is not one of supalert's severities (map an app's words with severity_level
-- first). For ordering alerts most urgent first. Admins' dashboards and service_role (security definer: the table
-- is private).
create or replace function monitoring.severity_rank(p_severity text)
returns integer
language sql
stable
security definer
set search_path = ''
as $$
    select s.rank from monitoring.severities as s where s.severity = p_severity
$$;

comment on function monitoring.severity_rank(text) is
'The rank of a severity in monitoring.severities (1 = most urgent), null for an unknown one.';

revoke execute on function monitoring.severity_rank(text) from public, anon, authenticated;
grant execute on function monitoring.severity_rank(text) to authenticated, service_role;
