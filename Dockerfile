# syntax=docker/dockerfile:1
# Kaaj's production image, in two stages. The build stage makes wheels: Kaaj's own (every app,
# template, static file and compiled catalogue: pyproject's package-data) and one for each
# dependency. The final stage installs those wheels and nothing else: no source tree, no build
# tools (nor pip), and not the `embedded` extra (the embedded PostgreSQL and Redis are for
# `make run` and `make test` only). One image, several roles (docker-compose.yml): gunicorn by
# default; `kaaj migrate`, the Celery workers and Celery beat as other commands.

# --- Build: wheels ---------------------------------------------------------------------------
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /src

# The dependencies' wheels first, from pyproject's list alone: this layer is rebuilt only when
# the list changes, not with every change to Kaaj's code.
COPY pyproject.toml ./
RUN --mount=type=cache,target=/root/.cache/pip \
    python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && pip wheel --wheel-dir /wheels --requirement requirements.txt

# Kaaj's wheel, from the build context (.dockerignore keeps out .venv/, var/, tests/, ...).
COPY . .
RUN --mount=type=cache,target=/root/.cache/pip \
    pip wheel --no-deps --wheel-dir /wheels .

# --- The image -------------------------------------------------------------------------------
FROM python:3.11-slim

# Installed, Kaaj defaults to the production settings and writes nothing beside its code:
# collected static files go to STATIC_ROOT (root's, read-only at run time), uploads to
# MEDIA_ROOT when they are kept on the local disk (compose keeps them in MinIO instead).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DJANGO_SETTINGS_MODULE=marketplace.settings.production \
    STATIC_ROOT=/opt/kaaj/static \
    MEDIA_ROOT=/var/lib/kaaj/media

RUN groupadd --system --gid 10001 kaaj \
    && useradd --system --uid 10001 --gid kaaj --create-home --home-dir /home/kaaj \
        --shell /usr/sbin/nologin kaaj

# The wheels are mounted from the build stage for this step only, so no layer keeps them.
# --no-index: nothing is fetched here; what was not built above cannot be installed. Then the
# installer and build tools the base image ships go too (Kaaj imports none of them:
# tests/test_package.py runs it with them unimportable).
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels kaaj \
    && pip uninstall --yes setuptools wheel pip

# gunicorn reads its settings file (Prometheus' hooks) from its working directory.
WORKDIR /app
COPY gunicorn.conf.py ./

# Static files are collected into the image (STATIC_ROOT, served by WhiteNoise with hashed
# names and gzip copies). Production settings refuse to load without a secret key, allowed
# hosts and a payment provider (or demo mode): throwaway values, for this step only, never
# stored in the image. MEDIA_ROOT is the one directory the app user may write; a named volume
# mounted there starts with its owner (no VOLUME here: it would give every container, workers
# and beat too, an anonymous volume of its own).
RUN SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=build KAAJ_DEMO_MODE=true \
        DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
        kaaj collectstatic --noinput \
    && mkdir -p "$MEDIA_ROOT" \
    && chown kaaj:kaaj "$MEDIA_ROOT"

USER kaaj

EXPOSE 8000

CMD ["gunicorn", "marketplace.wsgi:application", "--bind", "0.0.0.0:8000"]
