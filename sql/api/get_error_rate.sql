-- public.get_error_rate(window minutes, now): one row (error_count, errors_per_minute, window_minutes) over
-- public.error_logs, as the seed's ErrorRateWidget calls it (`rpc('get_error_rate', {p_time_window_minutes: 60})`
-- and reads errors_per_minute). Admins only; runs as the caller, so RLS applies too.
create or replace function public.get_error_rate(
    p_time_window_minutes integer default 60,
    p_now timestamptz default pg_catalog.now()
)
returns table (error_count bigint, errors_per_minute numeric, window_minutes integer)
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
begin
    perform monitoring.require_admin();
    if p_time_window_minutes is null or p_time_window_minutes not between 1 and 10080 then
        raise exception 'p_time_window_minutes must be between 1 and 10080 (a week), not %',
            coalesce(p_time_window_minutes::text, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    return query
    select c.n, pg_catalog.round(c.n::numeric / p_time_window_minutes, 3), p_time_window_minutes
      from (
          select pg_catalog.count(*) as n
            from public.error_logs as e
           where e.occurred_at > p_now - pg_catalog.make_interval(mins => p_time_window_minutes)
             and e.occurred_at <= p_now
      ) as c;
end;
$$;

comment on function public.get_error_rate(integer, timestamptz) is
'Dashboard: errors and errors per minute over the last p_time_window_minutes. Admins only.';

revoke execute on function public.get_error_rate(integer, timestamptz) from public, anon;
grant execute on function public.get_error_rate(integer, timestamptz) to authenticated, service_role;
