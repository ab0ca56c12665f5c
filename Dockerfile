# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN pip install -c constraints.txt -e . \
    && python manage.py compilemessages --ignore=.venv -v0 \
    && SECRET_KEY=build-only-$(head -c 48 /dev/urandom | base64 | tr -d '/+=') DEBUG=false \
       python manage.py collectstatic --no-input -v0
RUN useradd --system --home /app itsm && mkdir -p /app/var && chown -R itsm /app/var
USER itsm
EXPOSE 8000
CMD ["gunicorn", "itsm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
