"""Handlers by timer kind. A handler runs inside the sweep's transaction: it re-checks the
subject, records the fact, and defers side effects with transaction.on_commit."""

from collections.abc import Callable

Handler = Callable[..., None]
_handlers: dict[str, Handler] = {}


def timer_handler(kind: str) -> Callable[[Handler], Handler]:
    def decorator(func: Handler) -> Handler:
        _handlers[kind] = func
        return func

    return decorator


def get_handler(kind: str) -> Handler:
    try:
        return _handlers[kind]
    except KeyError:
        raise LookupError(f"no timer handler registered for {kind!r}") from None


def registered_kinds() -> list[str]:
    return sorted(_handlers)


# Clock names are codes ("response"); the app that starts a clock names it for people.
_clock_labels: dict[str, object] = {}


def register_clock_labels(labels: dict[str, object]) -> None:
    """Translatable labels (gettext_lazy) by clock name, shown by timers/_clocks.html."""
    _clock_labels.update(labels)


def clock_label(name: str) -> str:
    label = _clock_labels.get(name)
    return str(label) if label is not None else name.replace("_", " ").capitalize()
