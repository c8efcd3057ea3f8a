-- monitoring.cron_day_matches(day, allowed days): whether a day of the month is allowed, where -1 ('$') stands
-- for the month's last day. Read by monitoring.cron_next_run only; owner only.
create or replace function monitoring.cron_day_matches(p_at timestamp, p_days integer[])
returns boolean
language sql
immutable
set search_path = ''
as $$
    select extract(day from p_at)::integer = any (p_days)
        or (-1 = any (p_days)
            and extract(month from p_at + interval '1 day') <> extract(month from p_at))
$$;

comment on function monitoring.cron_day_matches(timestamp, integer[]) is
'Whether a day of the month is among the allowed ones (-1 is the last day). Read by monitoring.cron_next_run.';

revoke execute on function monitoring.cron_day_matches(timestamp, integer[]) from public, anon, authenticated;
