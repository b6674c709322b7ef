from django.conf import settings

from marketplace import celery_app


def test_celery_speaks_json_only_and_limits_job_time():
    conf = celery_app.conf
    assert conf.task_serializer == "json" and conf.result_serializer == "json"
    assert conf.accept_content == ["json"]
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert conf.task_acks_late is True


def test_celery_takes_its_configuration_and_schedule_from_settings():
    assert celery_app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL == "memory://"
    assert celery_app.conf.timezone == settings.TIME_ZONE


def test_a_unix_socket_redis_url_gives_celery_a_broker_url_it_understands():
    from kombu import Connection

    from marketplace.settings.base import redis_settings

    wired = redis_settings("unix:///srv/kaaj/redis.sock?db=2")
    assert wired["CACHES"]["default"]["LOCATION"] == "unix:///srv/kaaj/redis.sock?db=2"
    assert wired["CELERY_BROKER_URL"] == "redis+socket:///srv/kaaj/redis.sock?virtual_host=2"
    assert Connection(wired["CELERY_BROKER_URL"]).get_transport_cls().driver_type == "redis"
    tcp = redis_settings("redis://cache.internal:6379/0")
    assert tcp["CELERY_BROKER_URL"] == "redis://cache.internal:6379/0"


# --- Queues --------------------------------------------------------------------------------

QUEUES = {"payouts", "clock", "notifications", "webhooks"}


def _kaaj_jobs() -> set[str]:
    celery_app.loader.import_default_modules()
    return {name for name in celery_app.tasks if not name.startswith("celery.")}


def test_every_job_is_routed_by_name_to_one_of_the_four_queues():
    jobs = _kaaj_jobs()
    assert len(jobs) >= 16  # every app's jobs.py was found
    unrouted = jobs - set(settings.CELERY_TASK_ROUTES)
    assert not unrouted, f"add these jobs to CELERY_TASK_ROUTES: {sorted(unrouted)}"
    assert set(settings.CELERY_TASK_ROUTES) <= jobs, "a route names a job that does not exist"
    for name in jobs:
        queue = celery_app.amqp.router.route({}, name)["queue"]
        assert queue.name in QUEUES, name
        # A queue of its own on an exchange of its own: a message reaches that queue only.
        assert (queue.exchange.name, queue.routing_key) == (queue.name, queue.name)


def test_each_kind_of_job_has_its_queue():
    route = settings.CELERY_TASK_ROUTES
    assert {route[n]["queue"] for n in _kaaj_jobs() if n.startswith("payments.payout")} == {
        "payouts"
    }
    assert route["webhooks.delivery_send"]["queue"] == "webhooks"
    assert route["notifications.email"]["queue"] == "notifications"
    # What beat runs every few seconds and only touches PostgreSQL is the clock.
    assert {route[n]["queue"] for n in _kaaj_jobs() if n.startswith("tasks.")} == {"clock"}


def test_a_plain_worker_consumes_the_four_queues_and_an_unrouted_job_lands_on_one():
    assert set(celery_app.amqp.queues) == QUEUES
    assert celery_app.amqp.router.route({}, "some.library_job")["queue"].name in QUEUES
    assert celery_app.conf.task_default_queue not in {"payouts", "clock"}


def test_jobs_are_acknowledged_late_one_at_a_time_and_payouts_survive_a_lost_worker():
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.worker_prefetch_multiplier == 1
    jobs = _kaaj_jobs()
    payouts = {n for n in jobs if settings.CELERY_TASK_ROUTES[n]["queue"] == "payouts"}
    assert {n for n in jobs if celery_app.tasks[n].reject_on_worker_lost} == payouts


def test_make_run_starts_one_worker_on_every_queue_and_one_beat():
    from marketplace.management.commands.runstack import Command

    programs = {p.name: p.argv for p in Command().programs("127.0.0.1", 8000, reload=False)}
    worker = programs["worker"]
    assert set(worker[worker.index("--queues") + 1].split(",")) == QUEUES
    assert "beat" in programs["beat"]
