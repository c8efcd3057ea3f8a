-- monitoring.metric_failed_gift_cards(rule, now): public.gift_card_provisions rows in the window whose status is
-- 'failed'. A table that has never had a row is no data. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_failed_gift_cards(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    select
        c.failed::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'failed_count', c.failed,
            'summary', pg_catalog.format('%s gift-card provision(s) failed in the last %s', c.failed,
                monitoring.describe_interval(p_rule.time_window))
        ),
        (select pg_catalog.max(x.created_at) from public.gift_card_provisions as x) is null
      from (
          select pg_catalog.count(*) as failed
            from public.gift_card_provisions as g
           where g.status = 'failed'
             and g.created_at > p_now - p_rule.time_window and g.created_at <= p_now
      ) as c;
end;
$$;

comment on function monitoring.metric_failed_gift_cards(monitoring.rules, timestamptz) is
'Metric: failed rows of gift_card_provisions in the window; an empty table is no data.';

revoke execute on function monitoring.metric_failed_gift_cards(monitoring.rules, timestamptz)
from public, anon, authenticated;
