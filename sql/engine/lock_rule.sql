-- monitoring.lock_rule(rule key): returns nothing once this transaction holds the rule's advisory lock (released
-- at commit). Everything that changes a rule's alerts or state takes it first, so an evaluation, a resolve and a
-- delivery outcome for the same rule run one after another; callers that take several take them in key order, so
-- they cannot deadlock. The one definition of the lock key. Engine only.
create or replace function monitoring.lock_rule(p_key text)
returns void
language sql
set search_path = ''
as $$
    select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('supalert:rule:' || p_key, 0))
$$;

comment on function monitoring.lock_rule(text) is
'Takes the rule''s transaction advisory lock (key ''supalert:rule:'' || key). Engine only.';

revoke execute on function monitoring.lock_rule(text) from public, anon, authenticated;
