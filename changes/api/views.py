"""The changes API: CRUD plus POST /changes/{id}/<verb>/ per transition, with the page's rules
(the same services), errors mapped once in itsm.drf (400 rule, 403 not allowed, 409 state)."""

from __future__ import annotations

from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from itsm.models import AuditEvent
from itsm.pagecache import CachedListMixin

from .. import selectors
from .. import services as svc
from ..filters import ChangeFilterSet
from ..models import (
    Change,
)
from . import serializers as s

API = AuditEvent.Source.API


def _detail(request, pk) -> dict:
    try:
        change = selectors.change_for_detail(int(pk))
    except (Change.DoesNotExist, ValueError):
        raise Http404 from None
    return s.ChangeDetailSerializer(change, context={"request": request}).data


def transition(verb: str, input_serializer, call, description: str):
    """One POST action per transition: validate the input, call the service, return the
    change as it is now."""

    def handler(self, request, pk=None):
        serializer = input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call(int(pk), request.user, serializer.validated_data)
        return Response(_detail(request, pk))

    # DRF routes an action by its function name: name it before decorating.
    handler.__name__ = handler.__qualname__ = verb
    handler = action(detail=True, methods=["post"], url_path=verb.replace("_", "-"),
                     url_name=verb.replace("_", "-"))(handler)  # fmt: skip
    return extend_schema(
        summary=f"{verb.replace('_', ' ').capitalize()} a change",
        description=description,
        request=input_serializer,
        responses={200: s.ChangeDetailSerializer},
    )(handler)


def _meeting(data):
    meeting = data.get("meeting")
    return meeting.pk if meeting else None


@extend_schema_view(
    list=extend_schema(summary="List changes (same filters as the page)"),
    retrieve=extend_schema(summary="A change with approvals, checklists and allowed actions"),
    create=extend_schema(
        summary="File a change (a draft), or a standard change from an approved template",
        request=s.ChangeWriteSerializer,
        responses={201: s.ChangeDetailSerializer},
    ),
    partial_update=extend_schema(
        summary="Edit a draft",
        request=s.ChangeWriteSerializer,
        responses={200: s.ChangeDetailSerializer},
    ),
    destroy=extend_schema(summary="Delete a draft", responses={204: None}),
)
class ChangeViewSet(CachedListMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ChangeFilterSet
    serializer_class = s.ChangeListSerializer

    def page_cache_shared(self, request) -> bool:
        return ChangeFilterSet.same_for_everyone(request)

    def get_queryset(self):
        return selectors.change_list()

    def get_serializer_class(self):
        if self.action in {"create", "partial_update"}:
            return s.ChangeWriteSerializer
        if self.action == "retrieve":
            return s.ChangeDetailSerializer
        return s.ChangeListSerializer

    def retrieve(self, request, pk=None):
        return Response(_detail(request, pk))

    def create(self, request):
        serializer = s.ChangeWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        template = data.pop("template", None)
        services = data.pop("services", None)
        if template is not None:
            keep = {"planned_end", "title", "implementer", "owner_team", "description",
                    "affected_users", "affected_users_note"}  # fmt: skip
            planned_start = data.pop("planned_start", None)
            change = svc.change_create_from_template(
                actor=request.user, source=API, template_id=template.pk, services=services,
                planned_start=planned_start, **{k: v for k, v in data.items() if k in keep},
            )  # fmt: skip
        else:
            change = svc.change_create(
                actor=request.user, source=API, title=data.pop("title", ""),
                services=services or [], **data,
            )  # fmt: skip
        return Response(_detail(request, change.pk), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        serializer = s.ChangeWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("template", None)
        services = data.pop("services", None)
        svc.change_update(change_id=int(pk), actor=request.user, source=API, services=services,
                          **data)  # fmt: skip
        return Response(_detail(request, pk))

    def destroy(self, request, pk=None):
        svc.change_delete(change_id=int(pk), actor=request.user, source=API)
        return Response(status=status.HTTP_204_NO_CONTENT)

    submit = transition(
        "submit",
        s.ChangeNoInputSerializer,
        lambda pk, u, d: svc.change_submit(change_id=pk, actor=u, source=API),
        "Draft to submitted (an emergency change goes straight to awaiting approval). Needs "
        "plans, a window and services; the lead time of the class is checked on the owning "
        "team's business calendar.",
    )
    assess = transition(
        "assess",
        s.ChangeAssessInputSerializer,
        lambda pk, u, d: svc.change_assess(
            change_id=pk, actor=u, source=API, change_class=d.get("change_class"), note=d["note"]
        ),
        "Confirm the impact analysis; optionally move the change to another class. A high "
        "risk cannot be a standard change.",
    )
    request_approval = transition(
        "request_approval",
        s.ChangeNoInputSerializer,
        lambda pk, u, d: svc.change_request_approval(change_id=pk, actor=u, source=API),
        "Route an assessed change to the approvers its class policy names.",
    )
    approve = transition(
        "approve",
        s.ChangeCommentInputSerializer,
        lambda pk, u, d: svc.change_approve(
            change_id=pk, actor=u, source=API, comment=d["comment"]
        ),
        "Approve (approver role of the class; never the requester or the implementer). The "
        "change is approved once the policy's number of approvals is reached.",
    )
    reject = transition(
        "reject",
        s.ChangeRejectInputSerializer,
        lambda pk, u, d: svc.change_reject(change_id=pk, actor=u, source=API, comment=d["comment"]),
        "Reject with a reason (approver role of the class).",
    )
    vote = transition(
        "vote",
        s.ChangeVoteInputSerializer,
        lambda pk, u, d: svc.change_vote(
            change_id=pk,
            actor=u,
            source=API,
            decision=d["decision"],
            comment=d["comment"],
            meeting_id=_meeting(d),
        ),
        "A CAB member's vote (approve / reject / abstain) on a change decided by CAB vote; "
        "quorum and majority decide.",
    )
    schedule = transition(
        "schedule",
        s.ChangeScheduleInputSerializer,
        lambda pk, u, d: svc.change_schedule(
            change_id=pk,
            actor=u,
            source=API,
            planned_start=d.get("planned_start"),
            planned_end=d.get("planned_end"),
            implementer=d.get("implementer"),
        ),
        "Put an approved change on the calendar. Refused in a freeze period (emergencies "
        "excepted); overlapping changes on the same services are recorded as conflicts.",
    )
    reschedule = transition(
        "reschedule",
        s.ChangeRescheduleInputSerializer,
        lambda pk, u, d: svc.change_reschedule(
            change_id=pk,
            actor=u,
            source=API,
            planned_start=d["planned_start"],
            planned_end=d["planned_end"],
            implementer=d.get("implementer"),
        ),
        "Move the window of a scheduled change (same checks as scheduling).",
    )
    start = transition(
        "start",
        s.ChangeNoInputSerializer,
        lambda pk, u, d: svc.change_start(change_id=pk, actor=u, source=API),
        "Start implementing, inside the window, after every pre-check and the backup.",
    )
    finish = transition(
        "finish",
        s.ChangeFinishInputSerializer,
        lambda pk, u, d: svc.change_finish(change_id=pk, actor=u, source=API, note=d["note"]),
        "Implementation done; verification follows. Needs a work log entry.",
    )
    verify = transition(
        "verify",
        s.ChangeVerifyInputSerializer,
        lambda pk, u, d: svc.change_verify(change_id=pk, actor=u, source=API, report=d["report"]),
        "Every verification check passed: completed (a review becomes due when the class "
        "requires one).",
    )
    fail = transition(
        "fail",
        s.ChangeFailInputSerializer,
        lambda pk, u, d: svc.change_fail(change_id=pk, actor=u, source=API, reason=d["reason"]),
        "Verification failed: the rollback plan applies.",
    )
    roll_back = transition(
        "roll_back",
        s.ChangeRollBackInputSerializer,
        lambda pk, u, d: svc.change_roll_back(change_id=pk, actor=u, source=API, notes=d["notes"]),
        "The change was rolled back; a review becomes due.",
    )
    start_review = transition(
        "start_review",
        s.ChangeReviewInputSerializer,
        lambda pk, u, d: svc.change_start_review(
            change_id=pk, actor=u, source=API, cause_analysis=d["cause_analysis"]
        ),
        "Open the post-implementation review (a rolled-back change needs a cause analysis).",
    )
    close = transition(
        "close",
        s.ChangeCloseInputSerializer,
        lambda pk, u, d: svc.change_close(change_id=pk, actor=u, source=API, summary=d["summary"]),
        "Close a completed change, or a reviewed one with its summary.",
    )
    cancel = transition(
        "cancel",
        s.ChangeCancelInputSerializer,
        lambda pk, u, d: svc.change_cancel(change_id=pk, actor=u, source=API, reason=d["reason"]),
        "Cancel a change that has not started.",
    )
    check = transition(
        "check",
        s.ChangeCheckInputSerializer,
        lambda pk, u, d: svc.change_check_item(
            change_id=pk, item_id=d["item"], actor=u, source=API, result=d["result"], note=d["note"]
        ),
        "Tick a pre-check (approved or scheduled) or a verification check (verifying).",
    )
    confirm_backup = transition(
        "confirm_backup",
        s.ChangeBackupInputSerializer,
        lambda pk, u, d: svc.change_confirm_backup(
            change_id=pk, actor=u, source=API, reference=d["reference"]
        ),
        "Confirm the backup taken before implementation.",
    )
    work_log = transition(
        "work_log",
        s.ChangeTextInputSerializer,
        lambda pk, u, d: svc.change_log_work(change_id=pk, actor=u, source=API, text=d["text"]),
        "Add an entry to the work log.",
    )
    comment = transition("comment", s.ChangeTextInputSerializer,
        lambda pk, u, d: svc.change_comment(change_id=pk, actor=u, source=API, text=d["text"]),
        "Comment on a change.")  # fmt: skip

    @extend_schema(
        summary="Timeline: audit events, decisions, comments and work log",
        responses={200: s.ChangeTimelineEntrySerializer(many=True)},
    )
    # One list, not a page: without these the schema documented the list's pagination and
    # filters, which the timeline does not have.
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, pk=None):
        try:
            change = selectors.change_for_detail(int(pk))
        except Change.DoesNotExist:
            raise Http404 from None
        return Response(s.ChangeTimelineEntrySerializer(selectors.timeline(change), many=True).data)

    @extend_schema(summary="Changes waiting for my approval",
                   responses={200: s.ChangeListSerializer(many=True)})  # fmt: skip
    @action(detail=False, methods=["get"], url_path="awaiting-my-approval")
    def awaiting_my_approval(self, request):
        changes = selectors.awaiting_my_approval(request.user)
        page = self.paginate_queryset(changes)
        return self.get_paginated_response(s.ChangeListSerializer(page, many=True).data)
