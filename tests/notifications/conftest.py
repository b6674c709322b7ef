import pytest

from notifications import jobs


@pytest.fixture
def queued(monkeypatch):
    """Ids of notifications whose email job was enqueued (the job itself is not run)."""
    sent: list[int] = []
    monkeypatch.setattr(jobs.notification_email, "delay", sent.append)
    return sent


@pytest.fixture
def mail_jobs(monkeypatch):
    """Enqueued email jobs run at once, as a worker would after commit."""
    monkeypatch.setattr(
        jobs.notification_email, "delay", lambda pk: jobs.notification_email.run(pk)
    )
