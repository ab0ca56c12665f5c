"""Guards of the change transitions: conditions (pure reads of the instance and its prefetched
relations, each with the message a page or the API shows) and permissions (who may take a
transition; segregation of duties included)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from .policy import ChangeClass
from .states import RiskLevel, Status

if TYPE_CHECKING:
    from .change import Change


def condition(message):
    """Attach the message a page or the API shows when this guard is not met."""

    def wrap(func):
        func.message = message
        return func

    return wrap


# --- conditions: pure reads of the instance (and its prefetched relations) ------------------


@condition(_("Execution, rollback and backup plans are required before submission."))
def has_plans(change: Change) -> bool:
    if change.template_id is not None:
        return True  # the approved template carries the procedure
    return all(p.strip() for p in (change.execution_plan, change.rollback_plan, change.backup_plan))


@condition(_("A planned window with an end after its start is required."))
def has_window(change: Change) -> bool:
    return bool(
        change.planned_start and change.planned_end and change.planned_end > change.planned_start
    )


@condition(_("Name at least one affected service."))
def has_services(change: Change) -> bool:
    return len(change.services.all()) > 0


@condition(_("A high-risk change cannot be a standard change; choose normal or major."))
def risk_fits_class(change: Change) -> bool:
    return not (change.change_class == ChangeClass.STANDARD and change.risk_level == RiskLevel.HIGH)


@condition(_("Only a standard change from an approved template is approved automatically."))
def from_approved_template(change: Change) -> bool:
    template = change.template
    return (
        change.change_class == ChangeClass.STANDARD
        and template is not None
        and template.status == "approved"
        and change.policy.auto_approve_from_template
    )


@condition(_("Assign an implementer first."))
def has_implementer(change: Change) -> bool:
    return change.implementer_id is not None


@condition(_("Every pre-check must pass (or be not applicable) before starting."))
def prechecks_done(change: Change) -> bool:
    items = change.checklist("precheck")
    return all(item.result in {"passed", "not_applicable"} for item in items)


@condition(_("Confirm the backup before starting."))
def backup_confirmed(change: Change) -> bool:
    return change.backup_confirmed_at is not None


@condition(_("Every verification check must pass (or be not applicable)."))
def verification_passed(change: Change) -> bool:
    items = change.checklist("verification")
    return all(item.result in {"passed", "not_applicable"} for item in items)


@condition(_("A post-implementation review is required before closing."))
def no_pending_review(change: Change) -> bool:
    return change.status != Status.COMPLETED or change.review_due_at is None


# --- permissions: who may take a transition (segregation of duties included) ---------------


def _manages(user) -> bool:
    return user.has_perm("changes.manage_change")


def may_edit(change: Change, user) -> bool:
    return user.pk == change.requester_id or _manages(user)


def may_assess(change: Change, user) -> bool:
    return user.has_perm("changes.assess_change")


def _may_decide(change: Change, user, *, cab: bool) -> bool:
    policy = change.policy
    return (
        policy.cab_vote == cab
        and user.has_role(policy.approver_role)
        and not change.is_party(user)
        and not change.has_decided(user)
    )


def may_approve(change: Change, user) -> bool:
    return _may_decide(change, user, cab=False)


def may_vote(change: Change, user) -> bool:
    return _may_decide(change, user, cab=True)


def may_schedule(change: Change, user) -> bool:
    return user.pk in {change.requester_id, change.implementer_id} or user.has_perm(
        "changes.schedule_change"
    )


def may_implement(change: Change, user) -> bool:
    return user.pk == change.implementer_id or _manages(user)


def may_verify(change: Change, user) -> bool:
    return user.pk == change.implementer_id or user.has_perm("changes.assess_change")


def may_review(change: Change, user) -> bool:
    return user.has_perm("changes.review_change")


def may_close(change: Change, user) -> bool:
    if change.status == Status.COMPLETED and user.pk == change.requester_id:
        return True
    return user.has_perm("changes.review_change")
