-- monitoring.schedule_period(schedule): returns the longest gap between two runs of a pg_cron schedule ('* * * * *',
-- '*/10 * * * *', '17 3 * * *', '0 1 * * 0', '@daily', or pg_cron 1.5+'s '10 seconds'), or null for a schedule it
-- cannot read. For lists and ranges it is an upper bound (the coarsest field that is not a wildcard decides), so a
-- job is never called late before it is. Called by monitoring.liveness; immutable, no data read.
create or replace function monitoring.schedule_period(p_schedule text)
returns interval
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_schedule text := pg_catalog.lower(pg_catalog.btrim(coalesce(p_schedule, '')));
    v_fields text[];
begin
    if v_schedule ~ '^[0-9]+ seconds?$' then
        return pg_catalog.make_interval(secs => pg_catalog.split_part(v_schedule, ' ', 1)::integer);
    end if;
    case v_schedule
        when '@yearly', '@annually' then return interval '366 days';
        when '@monthly' then return interval '31 days';
        when '@weekly' then return interval '7 days';
        when '@daily', '@midnight' then return interval '1 day';
        when '@hourly' then return interval '1 hour';
        else null;
    end case;
    v_fields := pg_catalog.regexp_split_to_array(v_schedule, '\s+');
    if pg_catalog.cardinality(v_fields) <> 5 then
        return null;
    end if;
    if v_fields[4] <> '*' then
        return interval '366 days';
    elsif v_fields[3] <> '*' then
        -- the 31st (or 29th, 30th) skips the months without it: Jan 31 to Mar 31 is 59 days
        return interval '62 days';
    elsif v_fields[5] <> '*' then
        return interval '7 days';
    elsif v_fields[2] ~ '^\*/[0-9]+$' then
        return pg_catalog.make_interval(hours => pg_catalog.split_part(v_fields[2], '/', 2)::integer);
    elsif v_fields[2] <> '*' then
        return interval '1 day';
    elsif v_fields[1] = '*' then
        return interval '1 minute';
    elsif v_fields[1] ~ '^\*/[0-9]+$' then
        return pg_catalog.make_interval(mins => pg_catalog.split_part(v_fields[1], '/', 2)::integer);
    end if;
    return interval '1 hour';
end;
$$;

comment on function monitoring.schedule_period(text) is
'The longest gap between two runs of a pg_cron schedule (an upper bound for lists and ranges); null if unreadable.';

revoke execute on function monitoring.schedule_period(text) from public, anon, authenticated;
