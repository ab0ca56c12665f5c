import pytest

from releases import gates

from .factories import FakeChange


@pytest.fixture
def approved_change(monkeypatch):
    """Make `approved_change_covering` answer with a change of the given class (or none).

    Returns a setter: approved_change("normal"), approved_change("emergency"),
    approved_change(None). The selector also records what it was asked.
    """
    state = {"change": None, "calls": []}

    def selector(*, service_ids, at):
        state["calls"].append((tuple(service_ids), at))
        return state["change"]

    monkeypatch.setattr(gates, "_approved_change_covering", selector)

    def set_change(change_class: str | None = "normal", pk: int = 42):
        state["change"] = FakeChange(pk=pk, change_class=change_class) if change_class else None
        return state["change"]

    set_change.calls = state["calls"]
    return set_change
