-- monitoring.dispatch_via_pg_net(): returns the pg_net request id of one call to the check-alert-triggers edge
-- function, with the project URL and the dispatch secret read from Vault at call time (so no secret is ever written
-- into cron.job), and records the id so monitoring.liveness can tell how supalert's own requests fared. pg_net and
-- Vault are reached through dynamic SQL: the function exists where they do not. Called by the supalert-dispatch
-- pg_cron job; owner only.
create or replace function monitoring.dispatch_via_pg_net()
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    v_url text;
    v_secret text;
    v_request bigint;
begin
    -- Schemas go in through format(): plpgsql_check (`supabase db lint`) checks a constant query and would report
    -- vault's and net's relations missing, as errors, in every project without the extensions.
    execute pg_catalog.format('select max(s.decrypted_secret) filter (where s.name = ''supalert_project_url''),'
        ' max(s.decrypted_secret) filter (where s.name = ''supalert_dispatch_secret'')'
        ' from %I.decrypted_secrets as s', 'vault')
        into v_url, v_secret;
    if coalesce(v_url, '') = '' or coalesce(v_secret, '') = '' then
        raise exception 'supalert-dispatch: the Vault secret % is missing',
            case when coalesce(v_url, '') = '' then 'supalert_project_url' else 'supalert_dispatch_secret' end
            using errcode = 'no_data_found', hint = 'Store both with: python deploy.py secrets set';
    end if;
    execute pg_catalog.format(
        'select %I.http_post(url := $1, headers := $2, body := ''{}''::jsonb, timeout_milliseconds := 55000)', 'net')
        into v_request
        using pg_catalog.rtrim(v_url, '/') || '/functions/v1/check-alert-triggers',
            pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || v_secret);
    insert into monitoring.dispatch_requests (request_id, requested_at) values (v_request, pg_catalog.now());
    -- pg_net keeps its responses 6 hours (pg_net.ttl); a day of ids is plenty to join them.
    delete from monitoring.dispatch_requests as d where d.requested_at < pg_catalog.now() - interval '1 day';
    return v_request;
end;
$$;

comment on function monitoring.dispatch_via_pg_net() is
'One pg_net call of check-alert-triggers with URL and credential from Vault; returns the request id. pg_cron only.';

revoke execute on function monitoring.dispatch_via_pg_net() from public, anon, authenticated;
