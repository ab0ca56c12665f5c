import pytest

from itsm.models import Service
from releases import gates

from .factories import covering_change


@pytest.fixture
def approved_change(monkeypatch):
    """Answer `approved_change_covering` with a real approved change of the given class
    (made on first use for the services asked about), or with none.

    approved_change("normal"), approved_change("emergency"), approved_change(None). The
    returned setter records the calls (`.calls`) and the changes it made (`.made`). Tests of
    the real selector are in test_gates.py::TestWithTheChangesApp.
    """
    state: dict = {"class": None, "calls": [], "made": {}}

    def selector(*, service_ids, at):
        state["calls"].append((tuple(service_ids), at))
        if state["class"] is None:
            return None
        key = (tuple(service_ids), state["class"])
        made = state["made"].get(key)
        # A refused promotion rolls back the change made inside it: make it again then.
        if made is None or not type(made).objects.filter(pk=made.pk).exists():
            services = Service.objects.filter(pk__in=service_ids)
            state["made"][key] = covering_change(services, state["class"])
        return state["made"][key]

    monkeypatch.setattr(gates, "_approved_change_covering", selector)

    def set_change(change_class: str | None = "normal") -> None:
        state["class"] = change_class

    set_change.calls = state["calls"]
    set_change.made = state["made"]
    return set_change
