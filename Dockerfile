# Production image: gunicorn web, Celery worker and beat share it (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 BEAT_VAR_DIR=/app/var
WORKDIR /app

RUN useradd --create-home --uid 1000 beat
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings to import; these throwaway values are never used at run time.
RUN DJANGO_SECRET_KEY=build-only DJANGO_STATIC_MANIFEST=1 BEAT_ENCRYPTION_KEYS=2x9n1Zm2mK2v5k0cQ0pSxV3mJ2n8hXh6b0Yc9d4eF1A= \
    python manage.py collectstatic --no-input -v 0 \
 && mkdir -p /app/var && chown -R beat /app/var
USER beat
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
