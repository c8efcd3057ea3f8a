-- monitoring.cron_next_run(schedule, after, time zone): the first time after `after` at which pg_cron starts a
-- job with this schedule: 'N seconds', the @ shorthands, or five cron fields read as pg_cron reads them (in its
-- cron.timezone; when day of month and day of week are both restricted, either one matching is enough). Null for
-- @reboot, for a schedule it cannot read, and for one that never fires (e.g. 30 February).
-- Read by the cron health metrics; owner only.
create or replace function monitoring.cron_next_run(
    p_schedule text, p_after timestamptz, p_time_zone text default 'GMT'
)
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
declare
    v_schedule text := pg_catalog.lower(pg_catalog.btrim(p_schedule));
    v_fields text[];
    v_minutes integer[];
    v_hours integer[];
    v_days integer[];
    v_months integer[];
    v_weekdays integer[];
    v_any_day boolean;
    v_any_weekday boolean;
    v_day_ok boolean;
    v_at timestamp;
    v_seconds text[];
    v_steps integer := 0;
    v_next integer;
begin
    v_seconds := pg_catalog.regexp_match(v_schedule, '^(\d+) seconds?$');
    if v_seconds is not null then
        return p_after + pg_catalog.make_interval(secs => v_seconds[1]::integer);
    end if;
    v_schedule := case v_schedule
        when '@yearly' then '0 0 1 1 *'
        when '@annually' then '0 0 1 1 *'
        when '@monthly' then '0 0 1 * *'
        when '@weekly' then '0 0 * * 0'
        when '@daily' then '0 0 * * *'
        when '@midnight' then '0 0 * * *'
        when '@hourly' then '0 * * * *'
        else v_schedule
    end;
    v_fields := pg_catalog.regexp_split_to_array(v_schedule, '\s+');
    if pg_catalog.cardinality(v_fields) <> 5 then
        return null;
    end if;
    v_minutes := monitoring.cron_field_values(v_fields[1], 0, 59, null);
    v_hours := monitoring.cron_field_values(v_fields[2], 0, 23, null);
    v_days := monitoring.cron_field_values(v_fields[3], 1, 31, null);
    v_months := monitoring.cron_field_values(
        v_fields[4], 1, 12, '{jan,feb,mar,apr,may,jun,jul,aug,sep,oct,nov,dec}'
    );
    v_weekdays := monitoring.cron_field_values(v_fields[5], 0, 6, '{sun,mon,tue,wed,thu,fri,sat}');
    if v_minutes is null or v_hours is null or v_days is null or v_months is null or v_weekdays is null then
        return null;
    end if;
    v_any_day := pg_catalog.left(v_fields[3], 1) = '*';
    v_any_weekday := pg_catalog.left(v_fields[5], 1) = '*';

    v_at := pg_catalog.date_trunc('minute', p_after at time zone p_time_zone) + interval '1 minute';
    -- Each step moves to the next month, day, hour or minute that can match: at most a few thousand in five years.
    while v_steps < 20000 loop
        v_steps := v_steps + 1;
        if v_at > (p_after at time zone p_time_zone) + interval '5 years' then
            return null;
        end if;
        if not (extract(month from v_at)::integer = any (v_months)) then
            v_at := pg_catalog.date_trunc('month', v_at) + interval '1 month';
            continue;
        end if;
        v_day_ok := case
            when v_any_day and v_any_weekday then true
            when v_any_day then extract(dow from v_at)::integer = any (v_weekdays)
            when v_any_weekday then monitoring.cron_day_matches(v_at, v_days)
            else monitoring.cron_day_matches(v_at, v_days) or extract(dow from v_at)::integer = any (v_weekdays)
        end;
        if not v_day_ok then
            v_at := pg_catalog.date_trunc('day', v_at) + interval '1 day';
            continue;
        end if;
        -- Hours and minutes jump straight to the next allowed value (or roll over to the next day or hour).
        v_next := (select min(h) from pg_catalog.unnest(v_hours) as h where h >= extract(hour from v_at));
        if v_next is null then
            v_at := pg_catalog.date_trunc('day', v_at) + interval '1 day';
            continue;
        elsif v_next > extract(hour from v_at) then
            v_at := pg_catalog.date_trunc('day', v_at) + pg_catalog.make_interval(hours => v_next);
        end if;
        v_next := (select min(m) from pg_catalog.unnest(v_minutes) as m where m >= extract(minute from v_at));
        if v_next is null then
            v_at := pg_catalog.date_trunc('hour', v_at) + interval '1 hour';
            continue;
        end if;
        v_at := pg_catalog.date_trunc('hour', v_at) + pg_catalog.make_interval(mins => v_next);
        return v_at at time zone p_time_zone;
    end loop;
    return null;
end;
$$;

comment on function monitoring.cron_next_run(text, timestamptz, text) is
'The next start of a pg_cron schedule after a time (null: @reboot, unreadable or never). Owner only.';

revoke execute on function monitoring.cron_next_run(text, timestamptz, text) from public, anon, authenticated;
