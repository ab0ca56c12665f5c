"""Integration pages: the list, detail (groups, rules, severities, deliveries), raw payloads,
and the forms that create, edit and rotate."""

from __future__ import annotations

import json
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from itsm.models import AuditEvent
from itsm.web import flash_form_errors, run_action, run_form_action

from .. import permissions as perms
from .. import selectors, services
from ..filters import AlertGroupFilter, DeliveryFilter, IntegrationFilter
from ..forms import IntegrationForm, RotateTokenForm, RuleForm, SeverityForm
from ..models import Delivery, Integration

WEB = AuditEvent.Source.WEB
PAGE_SIZE = 50
TOKEN_SESSION_KEY = "integrations:new-token:%s"


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _page(request, qs):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _integration(pk: int) -> Integration:
    try:
        return selectors.integration_detail(pk)
    except Integration.DoesNotExist:
        raise Http404(_("No such integration.")) from None


def integration_list(request):
    """The main page: intake integrations; webhooks and preferences are tabs beside it."""
    can_view = request.user.has_perm(perms.VIEW_INTEGRATION)
    filterset = IntegrationFilter(request.GET or None, queryset=selectors.integration_list())
    qs = filterset.qs if filterset.is_bound else filterset.queryset
    page, query = _page(request, qs if can_view else Integration.objects.none())
    return render(
        request,
        "integrations/integration_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query,
            "can_view": can_view,
            "can_add": request.user.has_perm(perms.ADD_INTEGRATION),
        },
    )


def _show_token(request, integration: Integration, token: str) -> None:
    request.session[TOKEN_SESSION_KEY % integration.pk] = token


def integration_create(request):
    _require(request, perms.ADD_INTEGRATION)
    form = IntegrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        created = {}

        def create():
            created["pair"] = services.integration_create(
                actor=request.user,
                source=WEB,
                name=data.pop("name"),
                default_service=data.pop("default_service"),
                **data,
            )

        if run_action(request, create, _("Integration created.")):
            integration, token = created["pair"]
            _show_token(request, integration, token)
            return redirect(integration)
    return render(request, "integrations/integration_form.html", {"form": form})


def integration_detail(request, pk: int):
    _require(request, perms.VIEW_INTEGRATION)
    integration = _integration(pk)
    groups = AlertGroupFilter(request.GET or None, queryset=selectors.group_list(integration))
    group_qs = groups.qs if groups.is_bound else groups.queryset
    context = {
        "integration": integration,
        "groups": group_qs[:100],
        "group_filter": groups,
        "rules": integration.rules.select_related("service", "team"),
        # Most urgent first; "no incident" last.
        "severities": sorted(
            integration.severities.all(), key=lambda r: (not r.priority, r.priority, r.severity)
        ),
        "deliveries": selectors.delivery_list(integration)[:20],
        "new_token": request.session.pop(TOKEN_SESSION_KEY % integration.pk, None),
        "can_manage": request.user.has_perm(perms.MANAGE_INTEGRATION),
        "rotate_form": RotateTokenForm(),
        "rule_form": RuleForm(),
        "severity_form": SeverityForm(),
        "intake_urls": {
            "alertmanager": request.build_absolute_uri("/api/v1/intake/alertmanager/"),
            "events": request.build_absolute_uri("/api/v1/intake/events/"),
        },
        "events": AuditEvent.objects.for_object(integration)
        .select_related("actor")
        .order_by("-at", "-pk")[:20],
    }
    return render(request, "integrations/integration_detail.html", context)


def integration_edit(request, pk: int):
    _require(request, perms.MANAGE_INTEGRATION)
    integration = _integration(pk)
    form = IntegrationForm(request.POST or None, instance=integration)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}

        def update():
            services.integration_update(
                integration_id=pk, actor=request.user, source=WEB, **changes
            )

        if run_action(request, update, _("Integration saved.")):
            return redirect("integrations:detail", pk=pk)
    return render(
        request, "integrations/integration_form.html", {"form": form, "integration": integration}
    )


@require_POST
def integration_rotate(request, pk: int):
    _require(request, perms.MANAGE_INTEGRATION)
    form = RotateTokenForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("integrations:detail", pk=pk)
    result = {}

    def rotate():
        result["pair"] = services.integration_rotate_token(
            integration_id=pk,
            actor=request.user,
            source=WEB,
            grace=timedelta(hours=form.cleaned_data["grace_hours"]),
        )

    if run_action(request, rotate, _("New token issued. Update the sender's configuration.")):
        integration, token = result["pair"]
        _show_token(request, integration, token)
    return redirect("integrations:detail", pk=pk)


@require_POST
def integration_delete(request, pk: int):
    _require(request, perms.DELETE_INTEGRATION)
    if run_action(
        request,
        lambda: services.integration_delete(integration_id=pk, actor=request.user, source=WEB),
        _("Integration deleted; its incidents stay."),
    ):
        return redirect("integrations:list")
    return redirect("integrations:detail", pk=pk)


@require_POST
def rule_add(request, pk: int):
    _require(request, perms.MANAGE_INTEGRATION)
    run_form_action(
        request,
        RuleForm(request.POST),
        lambda data: services.rule_add(integration_id=pk, actor=request.user, source=WEB, **data),
        _("Rule added."),
    )
    return redirect("integrations:detail", pk=pk)


@require_POST
def rule_delete(request, pk: int, rule_id: int):
    _require(request, perms.MANAGE_INTEGRATION)
    integration = _integration(pk)
    if not integration.rules.filter(pk=rule_id).exists():
        raise Http404
    run_action(
        request,
        lambda: services.rule_delete(rule_id=rule_id, actor=request.user, source=WEB),
        _("Rule removed."),
    )
    return redirect("integrations:detail", pk=pk)


@require_POST
def severity_set(request, pk: int):
    _require(request, perms.MANAGE_INTEGRATION)
    run_form_action(
        request,
        SeverityForm(request.POST),
        lambda data: services.severity_set(
            integration_id=pk, actor=request.user, source=WEB, **data
        ),
        _("Severity mapped."),
    )
    return redirect("integrations:detail", pk=pk)


@require_POST
def severity_delete(request, pk: int, mapping_id: int):
    _require(request, perms.MANAGE_INTEGRATION)
    integration = _integration(pk)
    if not integration.severities.filter(pk=mapping_id).exists():
        raise Http404
    run_action(
        request,
        lambda: services.severity_delete(mapping_id=mapping_id, actor=request.user, source=WEB),
        _("Severity removed; it now gets the priority of other severities."),
    )
    return redirect("integrations:detail", pk=pk)


def delivery_list(request, pk: int):
    _require(request, perms.VIEW_INTEGRATION)
    integration = _integration(pk)
    filterset = DeliveryFilter(request.GET or None, queryset=selectors.delivery_list(integration))
    qs = filterset.qs if filterset.is_bound else filterset.queryset
    page, query = _page(request, qs)
    return render(
        request,
        "integrations/delivery_list.html",
        {
            "integration": integration,
            "filter": filterset,
            "page": page,
            "query": query,
        },
    )


def delivery_detail(request, pk: int, delivery_id: int):
    """The raw payload as received, pretty-printed, with what the portal did with it."""
    _require(request, perms.VIEW_INTEGRATION)
    try:
        delivery = selectors.delivery_detail(delivery_id)
    except Delivery.DoesNotExist:
        raise Http404 from None
    if delivery.integration_id != pk:
        raise Http404
    try:
        pretty = json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False)
    except ValueError:
        pretty = delivery.body
    return render(
        request,
        "integrations/delivery_detail.html",
        {"delivery": delivery, "integration": delivery.integration, "pretty": pretty},
    )
