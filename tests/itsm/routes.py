"""The URL conf walked into a flat list of routes, shared by the URL tests.

A route is its pattern text joined from the resolvers (`changes/<int:pk>/edit/`, or a DRF
router's regex `api/v1/^changes/(?P<pk>[0-9]+)/$`). `template()` writes every route the same
way (`/changes/{pk}/edit/`), which is also how the OpenAPI schema writes its paths, and
`sample_path()` fills the parameters in.
"""

import re
import uuid
from collections.abc import Callable, Iterator

from django.urls import URLPattern, URLResolver, get_resolver

CONVERTER_SAMPLES = {"int": "1", "slug": "x", "str": "x", "uuid": str(uuid.uuid4()), "path": "x"}

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>([^)]*)\)")


def walk(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    """(route, name) for every view in the URL conf; name is "namespace:name" or ""."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{namespace}{p.name}" if p.name else ""


def template(route: str) -> str | None:
    """`/changes/{pk}/edit/` for a route; None for what no client can address: DRF's
    format-suffix twins, the API's catch-all and other free regexes."""
    if "format" in route or route.endswith("api/v1/") and route != "api/v1/":
        return None
    # DRF routers use regex routes: ^things/(?P<pk>[^/.]+)/$ (and /?$ for an optional slash)
    route = route.replace("^", "").replace("/?$", "/").replace("$", "")
    route = _REGEX_GROUP.sub(lambda m: "{" + m.group(1) + "}", route)
    if "(" in route or "\\" in route:
        return None
    return "/" + _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", route)


def converters(route: str) -> dict[str, str]:
    """Parameter name → converter type ("int", "str", ...; "regex" for DRF's groups)."""
    found = {m.group(2): m.group(1) or "str" for m in _CONVERTER.finditer(route)}
    found.update({name: "regex" for name, _pattern in _REGEX_GROUP.findall(route)})
    return found


def _regex_sample(route: str, name: str) -> str:
    """A sample the group's own pattern accepts (an id, a slug or a UUID)."""
    pattern = dict(_REGEX_GROUP.findall(route))[name]
    candidates = ["1", "x", CONVERTER_SAMPLES["uuid"]]
    return next((c for c in candidates if re.fullmatch(pattern, c)), "1")


def fill(path_template: str, value: Callable[[str], str]) -> str:
    """The template with each parameter replaced by value(key), where key is the template up
    to and including that parameter (`/changes/{pk}`, `/changes/{pk}/check/{item_pk}`): the
    same name can mean different objects in different places."""
    pieces = re.split(r"(\{\w+\})", path_template)
    out = ""
    for i, piece in enumerate(pieces):
        out += value("".join(pieces[: i + 1])) if piece.startswith("{") else piece
    return out


def sample_path(route: str) -> str | None:
    """The route with placeholder values: enough to reach its view's checks."""
    path_template = template(route)
    if path_template is None:
        return None
    kinds = converters(route)
    return re.sub(
        r"\{(\w+)\}",
        lambda m: (
            _regex_sample(route, m.group(1))
            if kinds.get(m.group(1)) == "regex"
            else CONVERTER_SAMPLES.get(kinds.get(m.group(1), "int"), "1")
        ),
        path_template,
    )


def routes() -> list[tuple[str, str]]:
    """(route, name) for every addressable route, sorted."""
    return sorted({(r, n) for r, n in walk() if template(r)})
