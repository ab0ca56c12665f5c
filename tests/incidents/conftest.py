import pytest
from django.core.cache import cache
from django.utils import translation

from .factories import make_world


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # API rate limits count in the cache; user ids repeat across rolled-back tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english():
    # A request by a Korean or Japanese user leaves its language active in the thread; the
    # assertions here read English messages.
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def world(db):
    return make_world()
