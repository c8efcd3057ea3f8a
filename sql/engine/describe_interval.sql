-- monitoring.describe_interval(interval): the interval in words for messages ('1 hour', '15 minutes', '30 days',
-- '1 day 2 hours'), where Postgres would print '01:00:00'. Immutable helper for the metric functions' summaries.
create or replace function monitoring.describe_interval(p_interval interval)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
    return (
        select coalesce(
            nullif(pg_catalog.concat_ws(' ',
                case when p.days > 0 then p.days || ' day' || case when p.days > 1 then 's' else '' end end,
                case when p.hours > 0 then p.hours || ' hour' || case when p.hours > 1 then 's' else '' end end,
                case when p.minutes > 0 then p.minutes || ' minute' || case when p.minutes > 1 then 's' else '' end end,
                case when p.seconds > 0 then p.seconds || ' second' || case when p.seconds > 1 then 's' else '' end end
            ), ''),
            '0 seconds'
        )
        from (
            select
                pg_catalog.floor(extract(epoch from p_interval) / 86400)::bigint as days,
                pg_catalog.floor(pg_catalog.mod(extract(epoch from p_interval), 86400) / 3600)::bigint as hours,
                pg_catalog.floor(pg_catalog.mod(extract(epoch from p_interval), 3600) / 60)::bigint as minutes,
                pg_catalog.floor(pg_catalog.mod(extract(epoch from p_interval), 60))::bigint as seconds
        ) as p
    );
end;
$$;

comment on function monitoring.describe_interval(interval) is
'An interval in words (1 hour, 15 minutes) for alert messages.';

revoke execute on function monitoring.describe_interval(interval) from public, anon, authenticated;
