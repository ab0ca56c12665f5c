"""The on-call API: thin views over the services and selectors. Everyone signed in reads;
writes are checked by the services (403 when not allowed, 409 on a clash)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.audit import Source
from itsm.errors import DomainError
from itsm.filters import in_utc
from itsm.models import Team

from .. import engine, selectors, services
from ..filters import OverrideFilter, RotationFilter, ScheduleFilter
from ..models import Override
from .serializers import (
    FeedTokenSerializer,
    OnCallNowSerializer,
    OverrideSerializer,
    RotationSerializer,
    ScheduleSerializer,
    ShiftsSerializer,
    TakeOverSerializer,
)

MAX_RANGE = dt.timedelta(days=92)


def _instant(request, name: str, default: dt.datetime) -> dt.datetime:
    raw = request.query_params.get(name)
    if not raw:
        return default
    try:
        value = parse_datetime(raw.replace(" ", "+"))
    except ValueError:  # the right shape, an impossible date (month 13)
        value = None
    if value is None:
        raise DomainError(
            _("Give %(name)s as an ISO 8601 date and time.") % {"name": name}, field=name
        )
    if timezone.is_naive(value):
        raise DomainError(_("Give %(name)s with a time zone offset.") % {"name": name}, field=name)
    try:
        return in_utc(value)
    except ValidationError as error:
        raise DomainError(error.messages[0], field=name) from None


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": str(user), "email": user.email}


class ScheduleViewSet(viewsets.ModelViewSet):
    """On-call schedules: one per team and escalation level."""

    serializer_class = ScheduleSerializer
    filterset_class = ScheduleFilter
    ordering_fields = ["level", "name"]
    search_fields = ["name", "team__name"]

    def get_queryset(self):
        return selectors.schedules().order_by("team__name", "level")

    def perform_create(self, serializer):
        serializer.instance = services.schedule_create(
            **serializer.validated_data, actor=self.request.user, source=Source.API
        )

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "team"}
        serializer.instance = services.schedule_update(
            schedule_id=serializer.instance.pk, actor=self.request.user, source=Source.API, **data
        )

    def perform_destroy(self, instance):
        services.schedule_delete(
            schedule_id=instance.pk, actor=self.request.user, source=Source.API
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATETIME, description="default: now"),
            OpenApiParameter(
                "end",
                OpenApiTypes.DATETIME,
                description="default: start + 14 days; at most 92 days after start",
            ),
        ],
        responses=ShiftsSerializer,
    )
    @action(detail=True, methods=["get"])
    def shifts(self, request, pk=None):
        """The final schedule over a period: who is on call when, gaps included."""
        schedule = self.get_object()
        start = _instant(request, "start", timezone.now())
        try:
            end = _instant(request, "end", start + dt.timedelta(days=14))
            in_range = start < end <= start + MAX_RANGE
        except OverflowError:  # a start at the end of the calendar
            in_range = False
        if not in_range:
            raise DomainError(
                _("The end must be after the start, at most 92 days later."), field="end"
            )
        line = selectors.timelines(selectors.schedules().filter(pk=schedule.pk), start, end)[0]

        def row(segment):
            return {
                "start": segment.start,
                "end": segment.end,
                "user": _person(line.person(segment.user_id)),
                "gap": segment.is_gap,
                "rotation": segment.rotation_id,
                "override": segment.override_id,
            }

        segments = engine.merge_by_person(line.segments)
        return Response(
            ShiftsSerializer(
                {
                    "schedule": schedule.pk,
                    "start": start,
                    "end": end,
                    "segments": [row(s) for s in segments],
                    "gaps": [row(s) for s in segments if s.is_gap],
                }
            ).data
        )

    @extend_schema(request=None, responses=FeedTokenSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-calendar-token")
    def rotate_calendar_token(self, request, pk=None):
        """A new secret iCal address for the schedule; the old one stops working."""
        schedule = services.schedule_rotate_token(
            schedule_id=self.get_object().pk, actor=request.user, source=Source.API
        )
        url = reverse("oncall:schedule_feed", kwargs={"token": schedule.ical_token})
        return Response({"url": request.build_absolute_uri(url)})


class RotationViewSet(viewsets.ModelViewSet):
    """Rotations of a schedule. Changing a rotation that has started ends it and returns
    its successor (a new id), so the shifts already worked stay in the history; deleting
    one that has started ends it now."""

    serializer_class = RotationSerializer
    filterset_class = RotationFilter
    ordering_fields = ["layer", "start_date"]

    def get_queryset(self):
        return (
            selectors.rotations().select_related("successor").order_by("schedule", "-layer", "pk")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        schedule = data.pop("schedule")
        serializer.instance = services.rotation_create(
            schedule_id=schedule.pk, actor=self.request.user, source=Source.API, **data
        )

    def perform_update(self, serializer):
        serializer.instance = services.rotation_update(
            rotation_id=serializer.instance.pk,
            actor=self.request.user,
            source=Source.API,
            **dict(serializer.validated_data),
        )

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        # The instance may be a successor: answer with it, fresh from the database.
        rotation = selectors.rotations().get(pk=response.data["id"])
        response.data = self.get_serializer(rotation).data
        return response

    def perform_destroy(self, instance):
        services.rotation_end(rotation_id=instance.pk, actor=self.request.user, source=Source.API)


class OverrideViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Overrides and swaps. Withdraw one with POST …/cancel/; they are never edited."""

    serializer_class = OverrideSerializer
    filterset_class = OverrideFilter
    ordering_fields = ["start", "end"]

    def get_queryset(self):
        return selectors.overrides().order_by("-start", "-pk")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        schedule = data.pop("schedule")
        serializer.instance = services.override_create(
            schedule_id=schedule.pk, actor=self.request.user, source=Source.API, **data
        )

    @extend_schema(request=None, responses=OverrideSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        override = get_object_or_404(Override, pk=pk)
        override = services.override_cancel(
            override_id=override.pk, actor=request.user, source=Source.API
        )
        return Response(self.get_serializer(override).data)


class OnCallNowView(APIView):
    """Who is on call for a team now (or at `at`): for paging tools and chat bots."""

    @extend_schema(
        parameters=[
            OpenApiParameter("at", OpenApiTypes.DATETIME, description="default: now"),
            OpenApiParameter("level", OpenApiTypes.INT, description="escalation level, default 1"),
        ],
        responses=OnCallNowSerializer,
    )
    def get(self, request, team: str):
        at = _instant(request, "at", timezone.now())
        try:
            level = int(request.query_params.get("level", 1))
        except ValueError:
            raise DomainError(_("The level must be a number."), field="level") from None
        team_obj = Team.objects.filter(slug=team).first()  # by slug, even an all-digit one
        if team_obj is None:
            return Response(
                {"error": {"code": "not_found", "message": _("Unknown team.")}},
                status=status.HTTP_404_NOT_FOUND,
            )
        answer = selectors.on_call_detail(team=team_obj, level=level, at=at)
        if answer is None:
            return Response(
                {
                    "error": {
                        "code": "no_schedule",
                        "message": _("This team has no on-call schedule at that level."),
                    }
                },
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(
            OnCallNowSerializer(
                {
                    "team": team_obj.slug,
                    "level": level,
                    "schedule": answer.schedule.pk,
                    "at": answer.at,
                    "user": _person(answer.user),
                    "since": answer.since,
                    "until": answer.until,
                    "next": _person(answer.next_user),
                    "override": answer.override.pk if answer.override else None,
                }
            ).data
        )


class TakeOverView(APIView):
    """ "I'll take it": the caller goes on call for the team (now until the next hand-off
    unless told otherwise)."""

    @extend_schema(request=TakeOverSerializer, responses={201: OverrideSerializer})
    def post(self, request, team: str):
        serializer = TakeOverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        team_obj = Team.objects.filter(slug=team).first()  # by slug, even an all-digit one
        if team_obj is None:
            return Response(
                {"error": {"code": "not_found", "message": _("Unknown team.")}},
                status=status.HTTP_404_NOT_FOUND,
            )
        override = services.take_over(
            team=team_obj,
            user=request.user,
            start=data.get("start"),
            end=data.get("end"),
            level=data["level"],
            reason=data["reason"],
            actor=request.user,
            source=Source.API,
        )
        return Response(OverrideSerializer(override).data, status=status.HTTP_201_CREATED)
