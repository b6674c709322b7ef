import pytest

from marketplace import celery_app

from .helpers import start_receiver


@pytest.fixture
def allow_http(settings):
    """Local receivers: http:// and 127.0.0.1 allowed, short timeouts."""
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS = 0.5


@pytest.fixture
def receiver(allow_http):
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def eager_jobs():
    """Jobs run where they are enqueued (as a worker would run them), for the sweeper."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False
