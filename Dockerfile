# jseval: the HTTP service in a slim, non-root image (docs/DEPLOY.md).
#
#   docker build -t jseval:0.1.0 .
#   docker run --rm -p 8000:8000 jseval:0.1.0
#
# Debian slim, not Alpine: mini-racer's wheels (V8) are built for glibc. Every dependency is a
# wheel, so no compiler is needed; the build stage only keeps the sources out of the image.
# JSEVAL_EXTRAS picks optional dependencies: `postgresql` (the default) adds the PostgreSQL
# driver for JSEVAL_DATABASE_URL, `""` leaves it out.

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG JSEVAL_EXTRAS=postgresql
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/jseval
COPY pyproject.toml README.md ./
COPY evaluator ./evaluator
COPY shims ./shims
COPY api ./api
RUN target="."; \
    if [ -n "${JSEVAL_EXTRAS}" ]; then target=".[${JSEVAL_EXTRAS}]"; fi; \
    /opt/jseval/bin/pip install "${target}" \
    && /opt/jseval/bin/jseval --version

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="jseval" \
      org.opencontainers.image.description="Sandboxed JavaScript evaluation service" \
      org.opencontainers.image.licenses="Apache-2.0"
# The service writes nothing but its data directory (the SQLite datasource store when no
# JSEVAL_DATABASE_URL is set) and temporary files: the root filesystem can be read-only.
ENV PATH=/opt/jseval/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TZ=UTC \
    JSEVAL_HOST=0.0.0.0 \
    JSEVAL_PORT=8000 \
    JSEVAL_DATA_DIR=/var/lib/jseval
RUN groupadd --system --gid 10001 jseval \
    && useradd --system --uid 10001 --gid jseval --home-dir /var/lib/jseval --create-home \
       --shell /usr/sbin/nologin jseval
COPY --from=build /opt/jseval /opt/jseval
USER 10001:10001
WORKDIR /var/lib/jseval
EXPOSE 8000
# The first SIGTERM drains: /readyz turns 503, in-flight evaluations finish
# (JSEVAL_SHUTDOWN_GRACE_MS), then the server exits.
STOPSIGNAL SIGTERM
# Ready means sandboxes warm and evaluations taken; urlopen raises (exit 1) on the 503 of a
# starting or draining service, and on no answer.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('JSEVAL_PORT', '8000'), timeout=2)"]
CMD ["jseval", "serve", "--host", "0.0.0.0"]
