"""The home page's "my work": each workflow app registers a provider in its AppConfig.ready.

A provider takes the user and returns sections: {"title", "items", "url", "empty"}; items are
objects the section's template renders through `get_absolute_url` and `__str__`.
"""

from collections.abc import Callable

Provider = Callable[[object], list[dict]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def sections_for(user) -> list[dict]:
    sections: list[dict] = []
    for provider in _providers:
        sections.extend(provider(user))
    return sections
