"""The standard change catalogue pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from itsm.web import flash_form_errors, run_action

from .. import forms
from .. import services as svc
from ..models import StandardTemplate, TemplateStatus
from ..models.template import may_decide_template, may_retire_template
from .pages import WEB, _form_save


def template_list(request):
    status = request.GET.get("status", "")
    templates = StandardTemplate.objects.select_related(
        "owner_team", "proposed_by"
    ).prefetch_related("services")
    if status in TemplateStatus.values:
        templates = templates.filter(status=status)
    else:
        templates = templates.exclude(status__in=[TemplateStatus.RETIRED, TemplateStatus.REJECTED])
    return render(
        request,
        "changes/template_list.html",
        {"templates": templates, "status": status, "statuses": TemplateStatus.choices},
    )


def template_detail(request, pk: int):
    template = get_object_or_404(
        StandardTemplate.objects.select_related("owner_team", "proposed_by", "decided_by"), pk=pk
    )
    versions = StandardTemplate.objects.filter(family=template.family).order_by("-version")
    user = request.user
    return render(
        request,
        "changes/template_detail.html",
        {
            "template": template,
            "versions": versions,
            "can_decide": template.status == TemplateStatus.PROPOSED
            and may_decide_template(template, user),
            "can_retire": template.status == TemplateStatus.APPROVED
            and may_retire_template(template, user),
            "can_edit": template.status == TemplateStatus.PROPOSED
            and (user.pk == template.proposed_by_id or may_decide_template(template, user)),
            "can_version": user.has_perm("changes.propose_standardtemplate"),
            "can_use": template.status == TemplateStatus.APPROVED
            and user.has_perm("changes.add_change"),
            "recent_changes": template.changes.select_related("requester").order_by("-pk")[:10],
        },
    )


def template_form(request, pk: int | None = None):
    template = get_object_or_404(StandardTemplate, pk=pk) if pk else None
    if template is None and not request.user.has_perm("changes.propose_standardtemplate"):
        raise PermissionDenied
    if template is not None and not run_action(
        request, lambda: svc.template_check_editable(template=template, actor=request.user)
    ):
        return redirect(template)
    form = forms.TemplateForm(request.POST or None, instance=template)
    if request.method == "POST":
        data = form.cleaned_data if form.is_valid() else {}
        fields = {k: v for k, v in data.items() if k != "services"}
        saved = _form_save(
            form,
            lambda: svc.template_update(
                template_id=template.pk, actor=request.user, source=WEB,
                services=data["services"], **fields,
            )
            if template
            else svc.template_propose(
                actor=request.user, source=WEB, services=data["services"], **fields
            ),
        )  # fmt: skip
        if saved is not None:
            messages.success(request, _("Template saved; an ops manager or the CAB approves it."))
            return redirect(saved)
    return render(request, "changes/template_form.html", {"form": form, "template": template})


TEMPLATE_ACTIONS = {
    "approve": lambda pk, u, p: svc.template_approve(
        template_id=pk, actor=u, source=WEB, note=p.get("note", "")),
    "reject": lambda pk, u, p: svc.template_reject(
        template_id=pk, actor=u, source=WEB, note=p.get("note", "")),
    "retire": lambda pk, u, p: svc.template_retire(template_id=pk, actor=u, source=WEB),
}  # fmt: skip


@require_POST
def template_action(request, pk: int, verb: str):
    if verb == "new_version":
        result = {}

        def create():
            result["new"] = svc.template_new_version(template_id=pk, actor=request.user, source=WEB)

        if run_action(request, create, _("New version proposed; edit it, then ask for approval.")):
            return redirect(result["new"])
        return redirect("changes:template_detail", pk=pk)
    if verb not in TEMPLATE_ACTIONS:
        raise Http404
    run_action(request, lambda: TEMPLATE_ACTIONS[verb](pk, request.user, request.POST), _("Done."))
    return redirect("changes:template_detail", pk=pk)


def template_use(request, pk: int):
    template = get_object_or_404(StandardTemplate, pk=pk)
    if not request.user.has_perm("changes.add_change"):
        raise PermissionDenied
    if template.status != TemplateStatus.APPROVED:
        messages.error(request, _("Only an approved template can be used."))
        return redirect(template)
    form = forms.TemplateChangeForm(request.POST or None, template=template)
    if request.method == "POST":
        data = form.cleaned_data if form.is_valid() else {}
        change = _form_save(
            form,
            lambda: svc.change_create_from_template(
                actor=request.user, source=WEB, template_id=template.pk,
                planned_start=data["planned_start"], planned_end=data.get("planned_end"),
                services=data["services"] or None, title=data.get("title", ""),
                implementer=data.get("implementer"),
            ),
        )  # fmt: skip
        if change is not None:
            messages.success(
                request, _("%(ref)s created from the template.") % {"ref": change.reference}
            )
            return redirect(change)
        if not form.errors:
            flash_form_errors(request, form)
    return render(request, "changes/template_use.html", {"form": form, "template": template})
