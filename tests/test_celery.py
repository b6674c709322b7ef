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
