-- monitoring.severity_words(severities): returns every word (lower case, trimmed) that monitoring.severity_aliases
-- maps to one of `p_severities`, for filters over telemetry written in the app's own words
-- (lower(btrim(severity::text)) = any (...)). Called by the error metrics once per evaluation; owner only.
create or replace function monitoring.severity_words(p_severities text[])
returns text[]
language sql
stable
set search_path = ''
as $$
    select coalesce(pg_catalog.array_agg(a.word order by a.word), '{}'::text[])
      from monitoring.severity_aliases as a
     where a.severity = any (p_severities)
$$;

comment on function monitoring.severity_words(text[]) is
'Every word monitoring.severity_aliases maps to one of the given severities (lower case).';

revoke execute on function monitoring.severity_words(text[]) from public, anon, authenticated;
