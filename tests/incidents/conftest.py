import pytest
from django.core.cache import cache

from .factories import make_world


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # API rate limits count in the cache; user ids repeat across rolled-back tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    return make_world()
