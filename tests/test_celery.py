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
