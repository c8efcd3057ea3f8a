-- monitoring.metric_active_users(rule, now): distinct users in public.user_sessions whose last_active_at falls in
-- the window (15 minutes for the seed's concurrent_users_threshold). Zero users is a value; an empty table is no
-- data. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_active_users(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    select
        c.users::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'active_users', c.users,
            'summary', pg_catalog.format(
                '%s user(s) active in the last %s', c.users, monitoring.describe_interval(p_rule.time_window)
            )
        ),
        (select pg_catalog.max(x.last_active_at) from public.user_sessions as x) is null
      from (
          select pg_catalog.count(distinct s.user_id) as users
            from public.user_sessions as s
           where s.last_active_at > p_now - p_rule.time_window
             and s.last_active_at <= p_now
      ) as c;
end;
$$;

comment on function monitoring.metric_active_users(monitoring.rules, timestamptz) is
'Metric: distinct users with user_sessions.last_active_at in the window.';

revoke execute on function monitoring.metric_active_users(monitoring.rules, timestamptz)
from public, anon, authenticated;
