-- monitoring.fingerprint(labels): returns the identity of one series of a rule (md5 of its labels as jsonb
-- prints them: keys sorted, so the same labels give the same fingerprint whatever order they were built in).
-- The one definition of alert identity: one open alert per (rule, fingerprint). Engine only.
create or replace function monitoring.fingerprint(p_labels jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
    select pg_catalog.md5(coalesce(p_labels, '{}'::jsonb)::text)
$$;

comment on function monitoring.fingerprint(jsonb) is
'The identity of a series (md5 of its labels): one open alert per rule and fingerprint. Engine only.';

revoke execute on function monitoring.fingerprint(jsonb) from public, anon, authenticated;
