"""Release notes generated from a release's content, as page sections and as Markdown."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Deployment, Environment, Release, ReleaseItem


def _sections(release: Release) -> list[tuple[str, list[ReleaseItem]]]:
    by_category: dict[str, list[ReleaseItem]] = {}
    for item in release.items.all():
        by_category.setdefault(item.category, []).append(item)
    order = [
        ReleaseItem.Category.BREAKING,
        ReleaseItem.Category.SECURITY,
        ReleaseItem.Category.FEATURE,
        ReleaseItem.Category.IMPROVEMENT,
        ReleaseItem.Category.FIX,
        ReleaseItem.Category.OTHER,
    ]
    return [(str(c.label), by_category[c]) for c in order if c in by_category]


def notes_context(release: Release, extra_sections: list[dict] | None = None) -> dict:
    """What the notes page shows; `extra_sections` come from linked changes and incidents."""
    production = next(
        (
            d
            for d in release.deployments.all()
            if d.environment == Environment.PRODUCTION and d.result == Deployment.Result.SUCCEEDED
        ),
        None,
    )
    return {
        "release": release,
        "sections": _sections(release),
        "services": list(release.services.all()),
        "released_at": production.finished_at if production else None,
        "extra_sections": extra_sections or [],
    }


def _md_escape_line(text: str) -> str:
    """Keep a one-line value from turning into a heading or a list by accident."""
    text = " ".join(text.split())
    return "\\" + text if text[:1] in "#>-*+|" else text


def notes_markdown(release: Release, extra_sections: list[dict] | None = None) -> str:
    context = notes_context(release, extra_sections)
    title = f"{release.version}" + (f" — {release.title}" if release.title else "")
    lines = [f"# {_md_escape_line(title)}", ""]
    facts = [
        (_("Kind"), release.get_kind_display()),
        (_("Services"), ", ".join(s.name for s in context["services"])),
        (_("Deployment strategy"), release.get_strategy_display()),
    ]
    when = context["released_at"] or release.planned_at
    if when:
        label = _("Released") if context["released_at"] else _("Planned")
        facts.append((label, timezone.localtime(when).strftime("%Y-%m-%d %H:%M %Z")))
    lines += [f"- **{label}:** {_md_escape_line(str(value))}" for label, value in facts]
    lines.append("")
    if release.notes.strip():
        lines += [f"## {_('Highlights')}", "", release.notes.strip(), ""]
    for heading, items in context["sections"]:
        lines += [f"## {heading}", ""]
        for item in items:
            entry = f"- {_md_escape_line(item.title)}"
            if item.link:
                entry += f" ([{_('link')}]({item.link}))"
            lines.append(entry)
            if item.description.strip():
                lines += [f"  {line}" for line in item.description.strip().splitlines()]
        lines.append("")
    for section in context["extra_sections"]:
        lines += [f"## {section['title']}", ""]
        lines += [f"- {_md_escape_line(str(entry))}" for entry in section["items"]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
