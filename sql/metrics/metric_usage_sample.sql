-- monitoring.metric_usage_sample(rule, now): the newest monitoring.usage_samples value of params.metric (e.g.
-- bandwidth_gb_month) sampled no later than p_now. No sample, or one older than params.max_age (default 2 days), is
-- no data: a stale reading says nothing about today. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_usage_sample(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    with wanted as (
        select p_rule.params ->> 'metric' as metric,
               coalesce((p_rule.params ->> 'max_age')::interval, interval '2 days') as max_age
    ),
    newest as (
        select s.value, s.sampled_at
          from monitoring.usage_samples as s, wanted as w
         where s.metric = w.metric and s.sampled_at <= p_now
         order by s.sampled_at desc
         limit 1
    )
    select
        case when n.sampled_at > p_now - w.max_age then n.value end,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'metric', w.metric,
            'sampled_at', n.sampled_at,
            'summary', case
                when n.sampled_at is null then pg_catalog.format('no %s sample recorded', w.metric)
                when n.sampled_at <= p_now - w.max_age then pg_catalog.format(
                    'newest %s sample is stale (%s)', w.metric, n.sampled_at)
                else pg_catalog.format('%s = %s (sampled %s)', w.metric, n.value, n.sampled_at)
            end
        ),
        n.sampled_at is null or n.sampled_at <= p_now - w.max_age
      from wanted as w
      left join newest as n on true;
end;
$$;

comment on function monitoring.metric_usage_sample(monitoring.rules, timestamptz) is
'Metric: newest usage_samples value of params.metric; none or stale (params.max_age) is no data.';

revoke execute on function monitoring.metric_usage_sample(monitoring.rules, timestamptz)
from public, anon, authenticated;
