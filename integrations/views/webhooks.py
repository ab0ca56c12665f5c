"""Webhook pages: subscriptions, one subscription's delivery log, and their actions."""

from __future__ import annotations

import json

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from itsm.models import AuditEvent
from itsm.web import run_action

from .. import permissions as perms
from .. import selectors, services, signing
from ..filters import WebhookDeliveryFilter, WebhookSubscriptionFilter
from ..forms import WebhookForm
from ..models import WebhookDelivery, WebhookSubscription
from .integrations import _page, _require

WEB = AuditEvent.Source.WEB
SECRET_SESSION_KEY = "integrations:new-secret:%s"


def webhook_list(request):
    _require(request, perms.VIEW_WEBHOOK)
    filterset = WebhookSubscriptionFilter(request.GET or None, queryset=selectors.webhook_list())
    qs = filterset.qs if filterset.is_bound else filterset.queryset
    page, query = _page(request, qs)
    return render(
        request,
        "integrations/webhook_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query,
            "can_add": request.user.has_perm(perms.ADD_WEBHOOK),
        },
    )


def webhook_create(request):
    _require(request, perms.ADD_WEBHOOK)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = {}

        def create():
            result["pair"] = services.webhook_create(
                actor=request.user, source=WEB, **form.cleaned_data
            )

        if run_action(request, create, _("Webhook created.")):
            subscription, secret = result["pair"]
            request.session[SECRET_SESSION_KEY % subscription.pk] = secret
            return redirect(subscription)
    return render(request, "integrations/webhook_form.html", {"form": form})


def webhook_edit(request, pk: int):
    _require(request, perms.MANAGE_WEBHOOK)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    form = WebhookForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if run_action(
            request,
            lambda: services.webhook_update(
                subscription_id=pk, actor=request.user, source=WEB, **changes
            ),
            _("Webhook saved."),
        ):
            return redirect(subscription)
    return render(
        request, "integrations/webhook_form.html", {"form": form, "subscription": subscription}
    )


def webhook_detail(request, pk: int):
    """The subscription and its delivery log: each attempt's response code and error."""
    _require(request, perms.VIEW_WEBHOOK)
    subscription = get_object_or_404(selectors.webhook_list(), pk=pk)
    filterset = WebhookDeliveryFilter(
        request.GET or None, queryset=selectors.webhook_deliveries(subscription)
    )
    qs = filterset.qs if filterset.is_bound else filterset.queryset
    page, query = _page(request, qs)
    return render(
        request,
        "integrations/webhook_detail.html",
        {
            "subscription": subscription,
            "filter": filterset,
            "page": page,
            "query": query,
            "new_secret": request.session.pop(SECRET_SESSION_KEY % pk, None),
            "can_manage": request.user.has_perm(perms.MANAGE_WEBHOOK),
            "can_delete": request.user.has_perm(perms.DELETE_WEBHOOK),
            "headers": {
                "signature": signing.SIGNATURE_HEADER,
                "timestamp": signing.TIMESTAMP_HEADER,
                "event": signing.EVENT_HEADER,
                "delivery": signing.DELIVERY_HEADER,
            },
            "events": AuditEvent.objects.for_object(subscription)
            .select_related("actor")
            .order_by("-at", "-pk")[:20],
        },
    )


WEBHOOK_ACTIONS = {
    "enable": (services.webhook_enable, _("Webhook enabled.")),
    "disable": (services.webhook_disable, _("Webhook disabled.")),
    "ping": (services.webhook_ping, _("Test event queued; its result appears in the log.")),
}


@require_POST
def webhook_action(request, pk: int, verb: str):
    _require(request, perms.MANAGE_WEBHOOK)
    get_object_or_404(WebhookSubscription, pk=pk)
    if verb == "rotate-secret":
        result = {}

        def rotate():
            result["pair"] = services.webhook_rotate_secret(
                subscription_id=pk, actor=request.user, source=WEB
            )

        if run_action(request, rotate, _("New signing secret issued.")):
            request.session[SECRET_SESSION_KEY % pk] = result["pair"][1]
        return redirect("integrations:webhook_detail", pk=pk)
    if verb == "delete":
        _require(request, perms.DELETE_WEBHOOK)
        if run_action(
            request,
            lambda: services.webhook_delete(subscription_id=pk, actor=request.user, source=WEB),
            _("Webhook deleted."),
        ):
            return redirect("integrations:webhooks")
        return redirect("integrations:webhook_detail", pk=pk)
    if verb not in WEBHOOK_ACTIONS:
        raise Http404
    service, success = WEBHOOK_ACTIONS[verb]
    kwargs = {"reason": request.POST.get("reason", "")} if verb == "disable" else {}
    run_action(
        request,
        lambda: service(subscription_id=pk, actor=request.user, source=WEB, **kwargs),
        str(success),
    )
    return redirect("integrations:webhook_detail", pk=pk)


@require_POST
def webhook_redeliver(request, pk: int, delivery_id):
    _require(request, perms.MANAGE_WEBHOOK)
    if not WebhookDelivery.objects.filter(pk=delivery_id, subscription_id=pk).exists():
        raise Http404
    run_action(
        request,
        lambda: services.delivery_redeliver(
            delivery_id=delivery_id, actor=request.user, source=WEB
        ),
        _("Delivery queued again."),
    )
    return redirect("integrations:webhook_detail", pk=pk)


def webhook_delivery(request, pk: int, delivery_id):
    _require(request, perms.VIEW_WEBHOOK)
    delivery = get_object_or_404(selectors.webhook_deliveries(), pk=delivery_id, subscription_id=pk)
    pretty = json.dumps(delivery.payload, indent=2, ensure_ascii=False)
    return render(
        request,
        "integrations/webhook_delivery.html",
        {"delivery": delivery, "subscription": delivery.subscription, "pretty": pretty},
    )
