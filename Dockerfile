# The provider (and the portal): python:3.11-slim, the package installed with pip.
# Build: docker build -t dvc-idp .   Run: see docker-compose.yml and docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The app finds templates/, static/, config/ and migrations/ beside its package
    # (idp.settings.ROOT), so /app comes first on the path, before site-packages.
    PYTHONPATH=/app \
    IDP_ENV=production

WORKDIR /app

COPY setup.cfg pyproject.toml README.md ./
COPY idp ./idp
COPY relying_party ./relying_party
COPY portal ./portal
COPY webapp ./webapp
RUN pip install . && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin idp

COPY config ./config
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static

RUN mkdir -p /var/lib/idp/keys /run/idp-metrics \
    && chown idp /var/lib/idp/keys /run/idp-metrics
USER idp
ENV IDP_KEYS_DIR=/var/lib/idp/keys

EXPOSE 8000
# idp serve checks the settings, then becomes granian (webapp/server.py, docs/deploy.md "The
# server"): SIGHUP replaces the workers, SIGTERM lets requests finish for up to 20 s.
STOPSIGNAL SIGTERM
CMD ["idp", "serve", "--host", "0.0.0.0", "--port", "8000"]
