-- Job supalert-evaluate: at monitoring.settings.evaluate_schedule (every minute unless `deploy.py schedule` changed
-- it; pg_cron 1.5+ can run it every few seconds), evaluates every enabled rule that is due and writes the heartbeat.
-- Scheduling by name updates the job in place, so re-running this file is safe.
select monitoring.schedule_evaluation();
