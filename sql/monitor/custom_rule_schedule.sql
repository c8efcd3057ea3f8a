-- monitoring.custom_rule_schedule(every): returns the pg_cron schedule that runs a job exactly every `every`:
-- 'N seconds' (1 to 59 s), '*/N * * * *' (minutes dividing an hour), '0 */N * * *' (hours dividing a day),
-- '0 0 * * *' (a day), or null for an interval no schedule repeats evenly (90 s, 7 min). Called by
-- monitoring.rules_schedule_custom; immutable, no data read.
create or replace function monitoring.custom_rule_schedule(p_every interval)
returns text
language sql
immutable
set search_path = ''
as $$
    with s as (select extract(epoch from p_every)::numeric as seconds)
    select case
        when s.seconds between 1 and 59 and s.seconds = pg_catalog.trunc(s.seconds)
            then pg_catalog.format('%s seconds', s.seconds::integer)
        when s.seconds = 60 then '* * * * *'
        when s.seconds < 3600 and s.seconds % 60 = 0 and 3600 % s.seconds = 0
            then pg_catalog.format('*/%s * * * *', (s.seconds / 60)::integer)
        when s.seconds = 3600 then '0 * * * *'
        when s.seconds < 86400 and s.seconds % 3600 = 0 and 86400 % s.seconds = 0
            then pg_catalog.format('0 */%s * * *', (s.seconds / 3600)::integer)
        when s.seconds = 86400 then '0 0 * * *'
    end
      from s
$$;

comment on function monitoring.custom_rule_schedule(interval) is
'The pg_cron schedule that repeats exactly every p_every (seconds, minutes, hours or a day), else null.';

revoke execute on function monitoring.custom_rule_schedule(interval) from public, anon, authenticated;
