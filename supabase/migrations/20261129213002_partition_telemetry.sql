-- Keep the four telemetry tables in partitions of one UTC day each (monitoring.partition_by_day): rules read only
-- the partitions of their window and retention drops whole days. On a database whose tables already hold rows,
-- the rows are copied across (ids kept) in this migration's transaction; a table too large to copy under a lock,
-- or with dependants that cannot be carried over, stops the migration with the way out (docs/partitioning.md).
-- Each key leads with the time column and carries the columns the rules filter or aggregate on, so a rule answers
-- from the key's index alone (index-only scans) and an insert maintains one index.
select monitoring.partition_by_day('public.error_logs', 'occurred_at', p_include => array['severity']);
select monitoring.partition_by_day(
    'public.performance_metrics', 'recorded_at', p_include => array['metric_type', 'duration_ms']
);
select monitoring.partition_by_day('public.sms_delivery_log', 'created_at', p_include => array['delivery_status']);
select monitoring.partition_by_day('public.email_delivery_log', 'created_at', p_include => array['delivery_status']);

-- performance_metrics' primary key now leads with recorded_at, so it serves the rules' windows; the old
-- (metric_type, recorded_at) index only spared them the window's page_load rows, and cost every insert a second
-- index (bench/README.md: insert throughput). The conversion above already holds this table's ACCESS EXCLUSIVE lock
-- in this transaction, so dropping it concurrently would gain nothing (and cannot run in a transaction).
-- squawk-ignore require-concurrent-index-deletion
drop index if exists public.performance_metrics_type_recorded_at;
