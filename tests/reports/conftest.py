import pytest
from django.core.cache import cache

from reports import facts
from tests.incidents.factories import make_world

from .factories import build_may


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # API rate limits count in the cache; user ids repeat across rolled-back tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def may(world):
    """The hand-computed May 2026 data set; facts written as the nightly rebuild would."""
    incidents = build_may(world)
    facts.rebuild()
    return incidents
