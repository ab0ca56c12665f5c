"""One timer mechanism for every app: deadlines as indexed rows, swept by Celery beat."""
