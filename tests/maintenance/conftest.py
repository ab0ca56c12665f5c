import pytest


@pytest.fixture
def var_dir(tmp_path, settings):
    """A private var/ for jobs that touch files (temporary files, logs, backups)."""
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (Celery is eager in tests, so queued tasks run too)."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


@pytest.fixture(autouse=True)
def _fresh_content_types():
    """Transactional tests flush the database: some re-create content types with new ids,
    serialized rollbacks restore the old ones. Start each test with an empty cache so that
    no test writes a timer or an audit event with a stale content type id."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
