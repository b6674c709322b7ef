# syntax=docker/dockerfile:1
# Kaaj's production image. One image, four roles (see docker-compose.yml): gunicorn by
# default; `manage.py migrate`, the Celery worker and Celery beat as other commands.
FROM python:3.11-slim

# PYTHONPATH puts the source tree in /app ahead of the installed copy in site-packages, so
# settings' BASE_DIR is /app and var/media is under it.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=marketplace.settings.production

RUN groupadd --system --gid 10001 kaaj \
    && useradd --system --uid 10001 --gid kaaj --create-home --home-dir /home/kaaj \
        --shell /usr/sbin/nologin kaaj

WORKDIR /app

# The Python packages (pyproject's packages.find). A new app package needs its own line
# here: tests/test_docker.py fails until it has one.
COPY pyproject.toml ./
COPY marketplace/ marketplace/
COPY accounts/ accounts/
COPY payments/ payments/
COPY tasks/ tasks/
COPY workers/ workers/
COPY notifications/ notifications/
COPY webhooks/ webhooks/
COPY moderation/ moderation/
RUN pip install --no-cache-dir . \
    && rm -rf build *.egg-info

# Templates, static sources and the translation catalogues came with marketplace/.
COPY manage.py ./

# Static files are collected into the image (STATIC_ROOT, served by WhiteNoise). Production
# settings refuse to load without a secret key, allowed hosts and a payment provider (or demo
# mode): throwaway values, for this step only, never stored in the image. Uploads
# (MEDIA_ROOT) go to var/media, the one directory the app user may write.
RUN SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=build KAAJ_DEMO_MODE=true \
        DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
        python manage.py collectstatic --noinput \
    && mkdir -p var/media \
    && chown kaaj:kaaj var/media

USER kaaj

EXPOSE 8000

CMD ["gunicorn", "marketplace.wsgi:application", "--bind", "0.0.0.0:8000"]
