"""The standard change catalogue: propose, approve or reject, version, retire."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.audit import record_event
from itsm.errors import Conflict
from itsm.models import Service, User

from ..models import StandardTemplate, TemplateStatus
from ._base import guard, require_text, transit

TEMPLATE_FIELDS = {
    "name", "description", "execution_plan", "rollback_plan", "backup_plan", "owner_team",
    "default_duration",
}  # fmt: skip


def _lock(template_id: int) -> StandardTemplate:
    try:
        return StandardTemplate.objects.select_for_update().get(pk=template_id)
    except StandardTemplate.DoesNotExist:
        raise Http404(_("No such template.")) from None


def _validate(fields: dict) -> None:
    unknown = set(fields) - TEMPLATE_FIELDS
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    for name, message in (
        ("name", _("A name is required.")),
        ("execution_plan", _("The execution plan is required.")),
        ("rollback_plan", _("The rollback plan is required.")),
        ("backup_plan", _("The backup plan is required.")),
    ):
        if name in fields:
            fields[name] = require_text(fields[name], name, message)


@transaction.atomic
def template_propose(
    *, actor: User, source: str, services: Iterable[Service] = (), **fields
) -> StandardTemplate:
    if not actor.has_perm("changes.propose_standardtemplate"):
        raise PermissionDenied(_("You may not propose standard change templates."))
    for required in ("name", "execution_plan", "rollback_plan", "backup_plan"):
        fields.setdefault(required, "")
    _validate(fields)
    template = StandardTemplate.objects.create(proposed_by=actor, **fields)
    template.services.set(list(services))
    record_event(template, action="propose", actor=actor, source=source)
    return template


def template_check_editable(*, template: StandardTemplate, actor: User) -> None:
    """Only the proposer or an approver edits a template (403), and only while it is
    proposed (409). The edit page asks this before it shows the form."""
    if actor.pk != template.proposed_by_id and not actor.has_perm(
        "changes.approve_standardtemplate"
    ):
        raise PermissionDenied(_("Only the proposer may edit this template."))
    if template.status != TemplateStatus.PROPOSED:
        raise Conflict(_("Only a proposed template can be edited; propose a new version."))


@transaction.atomic
def template_update(
    *, template_id: int, actor: User, source: str, services: Iterable[Service] | None = None,
    **fields,
) -> StandardTemplate:  # fmt: skip
    """A proposal can be corrected until it is decided; an approved version never changes."""
    template = _lock(template_id)
    template_check_editable(template=template, actor=actor)
    _validate(fields)
    for name, value in fields.items():
        setattr(template, name, value)
    template.save()
    if services is not None:
        template.services.set(list(services))
    record_event(template, action="update", actor=actor, source=source, before=template.status)
    return template


@transaction.atomic
def template_new_version(*, template_id: int, actor: User, source: str) -> StandardTemplate:
    """A proposed copy with the next version number in the same family."""
    if not actor.has_perm("changes.propose_standardtemplate"):
        raise PermissionDenied(_("You may not propose standard change templates."))
    base = _lock(template_id)
    # Lock the family so two new versions never get the same number.
    list(StandardTemplate.objects.select_for_update().filter(family=base.family))
    if StandardTemplate.objects.filter(family=base.family, status=TemplateStatus.PROPOSED).exists():
        raise Conflict(_("A new version of this template is already proposed."))
    top = StandardTemplate.objects.filter(family=base.family).aggregate(v=Max("version"))["v"]
    new = StandardTemplate.objects.create(
        family=base.family,
        version=top + 1,
        proposed_by=actor,
        **{name: getattr(base, name) for name in TEMPLATE_FIELDS},
    )
    new.services.set(list(base.services.all()))
    record_event(new, action="propose", actor=actor, source=source, payload={"based_on": base.pk})
    return new


@transaction.atomic
def template_approve(
    *, template_id: int, actor: User, source: str, note: str = ""
) -> StandardTemplate:
    """Approve a version; the version it replaces is retired."""
    template = _lock(template_id)
    now = timezone.now()
    transit(template, "approve", actor=actor, source=source, message=note, by=actor, at=now,
            note=note.strip())  # fmt: skip
    older = (
        StandardTemplate.objects.select_for_update()
        .filter(family=template.family, status=TemplateStatus.APPROVED)
        .exclude(pk=template.pk)
    )
    for old in older:
        transit(
            old, "retire", actor=actor, source=source, check=False, at=now,
            message=_("Replaced by version %(v)s.") % {"v": template.version},
        )  # fmt: skip
    return template


@transaction.atomic
def template_reject(*, template_id: int, actor: User, source: str, note: str) -> StandardTemplate:
    template = _lock(template_id)
    guard(template, "reject", actor)
    note = require_text(note, "note", _("Say why the template is rejected."))
    transit(template, "reject", actor=actor, source=source, check=False, message=note, by=actor,
            at=timezone.now(), note=note)  # fmt: skip
    return template


@transaction.atomic
def template_retire(*, template_id: int, actor: User, source: str) -> StandardTemplate:
    template = _lock(template_id)
    transit(template, "retire", actor=actor, source=source, at=timezone.now())
    return template
