"""The run state machine: every (state, action, role) through the service, the API and the
page answers the same: done, 409 (not in this state) or 403 (not for this role)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from backups import services
from backups.models import BackupRun
from itsm import roles
from tests.backups.factories import BackupRunFactory

pytestmark = pytest.mark.django_db
S = BackupRun.Status

ALLOWED = {
    "start": {S.SCHEDULED},
    "finish": {S.RUNNING},
    "fail": {S.SCHEDULED, S.RUNNING},
    "verify": {S.SUCCEEDED},
    "fail_verification": {S.SUCCEEDED},
    "expire": {S.SUCCEEDED, S.VERIFIED, S.VERIFICATION_FAILED, S.FAILED},
    "purge": {S.EXPIRED},
}
TARGET = {
    "start": S.RUNNING, "finish": S.SUCCEEDED, "fail": S.FAILED, "verify": S.VERIFIED,
    "fail_verification": S.VERIFICATION_FAILED, "expire": S.EXPIRED, "purge": S.PURGED,
}  # fmt: skip
SERVICE = {
    "start": services.run_start, "finish": services.run_finish, "fail": services.run_fail,
    "verify": services.run_verify, "fail_verification": services.run_fail_verification,
    "expire": services.run_expire, "purge": services.run_purge,
}  # fmt: skip
ARGS = {
    "fail": {"reason": "disk full"},
    "fail_verification": {"reason": "bad checksum"},
    "expire": {"reason": "retired early"},
}
# Operators report runs; only the ops manager and administrators end a retention early.
ROLE_MAY = {
    roles.REQUESTER: set(),
    roles.ONCALL: set(ALLOWED) - {"expire"},
    roles.OPS_MANAGER: set(ALLOWED),
}
CASES = [(state, action, role) for state in S.values for action in ALLOWED for role in ROLE_MAY]


def expected(state, action, role):
    if action not in ROLE_MAY[role]:
        return 403
    return 200 if state in ALLOWED[action] else 409


@pytest.mark.parametrize(("state", "action", "role"), CASES)
def test_service(state, action, role, user_for):
    run = BackupRunFactory(status=state)
    call = SERVICE[action]
    outcome = expected(state, action, role)
    if outcome == 403:
        with pytest.raises(PermissionDenied):
            call(run_id=run.pk, actor=user_for(role), source="web", **ARGS.get(action, {}))
    elif outcome == 409:
        with pytest.raises(TransitionNotAllowed):
            call(run_id=run.pk, actor=user_for(role), source="web", **ARGS.get(action, {}))
    else:
        done = call(run_id=run.pk, actor=user_for(role), source="web", **ARGS.get(action, {}))
        assert done.status == TARGET[action]
    assert BackupRun.objects.get(pk=run.pk).status == (TARGET[action] if outcome == 200 else state)


@pytest.mark.parametrize(("state", "action", "role"), CASES)
def test_api(state, action, role, user_for, api_client_for):
    run = BackupRunFactory(status=state)
    verb = action.replace("_", "-")
    response = api_client_for(user_for(role)).post(
        f"/api/v1/backup-runs/{run.pk}/{verb}/", ARGS.get(action, {}), format="json"
    )
    assert response.status_code == expected(state, action, role), response.json()
    if response.status_code == 200:
        assert response.json()["status"] == TARGET[action]
    else:
        assert response.json()["error"]["message"]


@pytest.mark.parametrize(("state", "action"), [(s, a) for s in S.values for a in ALLOWED])
@pytest.mark.parametrize("role", [roles.REQUESTER, roles.ONCALL])
def test_page(state, action, role, user_for, client):
    run = BackupRunFactory(status=state)
    client.force_login(user_for(role))
    url = reverse("backups:run-transition", args=[run.pk, action])
    response = client.post(url, ARGS.get(action, {}), follow=True)
    outcome = expected(state, action, role)
    if outcome == 403:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    text = response.content.decode()
    status = BackupRun.objects.get(pk=run.pk).status
    if outcome == 409:
        assert status == state
        assert "not allowed in the current state" in text
    else:
        assert status == TARGET[action]


def test_the_detail_page_offers_only_the_allowed_buttons(client, user_for):
    run = BackupRunFactory(status=S.SUCCEEDED)
    client.force_login(user_for(roles.ONCALL))
    page = client.get(run.get_absolute_url()).content.decode()
    assert reverse("backups:run-transition", args=[run.pk, "verify"]) in page
    assert reverse("backups:run-transition", args=[run.pk, "fail_verification"]) in page
    assert reverse("backups:run-transition", args=[run.pk, "start"]) not in page
    assert reverse("backups:run-transition", args=[run.pk, "expire"]) not in page  # not oncall's
    client.force_login(user_for(roles.REQUESTER))
    page = client.get(run.get_absolute_url()).content.decode()
    assert reverse("backups:run-transition", args=[run.pk, "verify"]) not in page


def test_a_person_must_say_why_a_run_failed(user_for, client):
    run = BackupRunFactory(status=S.RUNNING)
    client.force_login(user_for(roles.ONCALL))
    response = client.post(
        reverse("backups:run-transition", args=[run.pk, "fail"]), {"reason": ""}, follow=True
    )
    assert response.status_code == 200
    assert BackupRun.objects.get(pk=run.pk).status == S.RUNNING
