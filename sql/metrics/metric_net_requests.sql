-- monitoring.metric_net_requests(rule, now): pg_net's requests. params.measure 'queued' is the number waiting in
-- net.http_request_queue; 'failed' counts the responses of the rule's window that failed: timed out, no answer
-- (error_msg: connection refused, DNS) or a 5xx answer. pg_net deletes responses after pg_net.ttl (6 hours by
-- default), so a window longer than that sees less. No data without pg_net. Metric interface; called by
-- monitoring.evaluate only.
create or replace function monitoring.metric_net_requests(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_measure text := p_rule.params ->> 'measure';
    v_count bigint;
    v_detail jsonb;
begin
    if v_measure is null or v_measure not in ('queued', 'failed') then
        raise exception 'rule %: params.measure % is not queued or failed', p_rule.key, coalesce(v_measure, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    if pg_catalog.to_regclass('net._http_response') is null then
        return query select null::numeric, '{}'::jsonb, '{"summary": "pg_net is not installed"}'::jsonb, true;
        return;
    end if;
    -- Dynamic SQL, its schema a parameter: the net schema exists only where pg_net is installed, and a constant
    -- string would be checked against the catalog (plpgsql_check) where it is not.
    if v_measure = 'queued' then
        execute pg_catalog.format('select count(*) from %I.http_request_queue', 'net') into v_count;
        v_detail := pg_catalog.jsonb_build_object('summary', pg_catalog.format('%s pg_net request(s) queued', v_count));
    else
        execute pg_catalog.format($sql$
            select count(*),
                   pg_catalog.jsonb_build_object(
                       'timed_out', count(*) filter (where r.timed_out),
                       'no_answer', count(*) filter (where not coalesce(r.timed_out, false) and r.error_msg is not null),
                       'server_error', count(*) filter (where r.status_code >= 500),
                       'last_error', (pg_catalog.array_agg(coalesce(r.error_msg, 'HTTP ' || r.status_code)
                                                            order by r.created desc))[1])
              from %I._http_response as r
             where r.created > $1 - $2 and r.created <= $1
               and (r.timed_out or r.error_msg is not null or r.status_code >= 500)
        $sql$, 'net') into v_count, v_detail using p_now, p_rule.time_window;
        v_detail := v_detail || pg_catalog.jsonb_build_object('summary', pg_catalog.format(
            '%s pg_net request(s) failed in %s (%s timed out, %s no answer, %s 5xx)%s', v_count,
            monitoring.describe_interval(p_rule.time_window), v_detail ->> 'timed_out', v_detail ->> 'no_answer',
            v_detail ->> 'server_error',
            coalesce(': last ' || pg_catalog.left(v_detail ->> 'last_error', 120), '')));
    end if;
    return query select v_count::numeric, '{}'::jsonb, v_detail, false;
end;
$$;

comment on function monitoring.metric_net_requests(monitoring.rules, timestamptz) is
'Metric: pg_net requests queued, or failed in the window (timeout, no answer, 5xx) (params.measure).';

revoke execute on function monitoring.metric_net_requests(monitoring.rules, timestamptz)
from public, anon, authenticated;
