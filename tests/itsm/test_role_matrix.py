"""What every role (and a visitor who is not logged in) gets from every page and every API
operation: one table, generated rows checked against it, so a new endpoint cannot escape.

Rows are every GET route of the URL conf (pages) and every path + method of the OpenAPI
schema (the API). Columns are the roles of itsm.roles. A cell is the status code expected:
302 for a page means "to the login page" for a visitor; for the API 401 is "log in", 403 "not
yours". A write (POST/PUT/PATCH/DELETE) sends an empty JSON body, so an allowed role often
gets 400 (invalid input) or 409 (not in this state): either still proves the permission
check let it through. 500 is never a valid cell. A refused request (302 to login, 401, 403,
404, 405) must not write to the database.

Adding an endpoint makes its test fail with the row it observed: check every cell against
what the role should be allowed to do, then paste the row here.
"""

from __future__ import annotations

import re
from functools import cache

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token

from tests.itsm import one_of_each
from tests.itsm.one_of_each import ANONYMOUS, ROLES
from tests.itsm.routes import fill, routes, template

pytestmark = pytest.mark.django_db

# Short column names of the table below, in the order of ROLES.
COLUMNS = ["anon", "req", "oncall", "lead", "opsmgr", "cab", "dev", "exec", "mgr", "admin"]
ROW_WIDTH = 68

MATRIX = """
method path                                                          anon req oncall lead opsmgr cab dev exec mgr admin
# pages: GET of every route of the URL conf
GET /                                                                302  200 200    200  200    200 200 200  200 200
GET /api/docs/                                                       403  200 200    200  200    200 200 200  200 200
GET /api/schema/                                                     403  200 200    200  200    200 200 200  200 200
GET /backups/                                                        302  200 200    200  200    200 200 200  200 200
GET /backups/drills/                                                 302  200 200    200  200    200 200 200  200 200
GET /backups/drills/new/                                             302  403 200    200  200    403 403 403  403 200
GET /backups/drills/{pk}/                                            302  200 200    200  200    200 200 200  200 200
GET /backups/drills/{pk}/{verb}/                                     302  405 405    405  405    405 405 405  405 405
GET /backups/portal/backup-now/                                      302  405 405    405  405    405 405 405  405 405
GET /backups/runs/                                                   302  200 200    200  200    200 200 200  200 200
GET /backups/runs/{pk}/                                              302  200 200    200  200    200 200 200  200 200
GET /backups/runs/{pk}/{verb}/                                       302  405 405    405  405    405 405 405  405 405
GET /backups/targets/new/                                            302  403 403    403  403    403 403 403  403 200
GET /backups/targets/{slug}/                                         302  200 200    200  200    200 200 200  200 200
GET /backups/targets/{slug}/edit/                                    302  403 403    403  403    403 403 403  403 200
GET /backups/targets/{slug}/policies/new/                            302  403 403    403  403    403 403 403  403 200
GET /backups/targets/{slug}/policies/{pk}/                           302  403 403    403  403    403 403 403  403 200
GET /changes/                                                        302  200 200    200  200    200 200 200  200 200
GET /changes/approvals/                                              302  200 200    200  200    200 200 200  200 200
GET /changes/cab/                                                    302  200 200    200  200    200 200 200  200 200
GET /changes/cab/new/                                                302  403 403    403  200    200 403 403  403 200
GET /changes/cab/{pk}/                                               302  200 200    200  200    200 200 200  200 200
GET /changes/cab/{pk}/{verb}/                                        302  405 405    405  405    405 405 405  405 405
GET /changes/calendar/                                               302  200 200    200  200    200 200 200  200 200
GET /changes/calendar/{kind}/new/                                    302  403 403    403  200    403 403 403  403 200
GET /changes/calendar/{kind}/{pk}/                                   302  403 403    403  200    403 403 403  403 200
GET /changes/calendar/{kind}/{pk}/delete/                            302  405 405    405  405    405 405 405  405 405
GET /changes/new/                                                    302  200 200    200  200    200 200 403  403 200
GET /changes/policies/                                               302  200 200    200  200    200 200 200  200 200
GET /changes/policies/{pk}/                                          302  403 403    403  403    403 403 403  403 200
GET /changes/templates/                                              302  200 200    200  200    200 200 200  200 200
GET /changes/templates/new/                                          302  200 200    200  200    200 200 403  403 200
GET /changes/templates/{pk}/                                         302  200 200    200  200    200 200 200  200 200
GET /changes/templates/{pk}/edit/                                    302  403 403    403  302    302 403 403  403 302
GET /changes/templates/{pk}/use/                                     302  200 200    200  200    200 200 403  403 200
GET /changes/templates/{pk}/{verb}/                                  302  405 405    405  405    405 405 405  405 405
GET /changes/{pk}/                                                   302  200 200    200  200    200 200 200  200 200
GET /changes/{pk}/backup/                                            302  405 405    405  405    405 405 405  405 405
GET /changes/{pk}/check/{item_pk}/                                   302  405 405    405  405    405 405 405  405 405
GET /changes/{pk}/comment/                                           302  405 405    405  405    405 405 405  405 405
GET /changes/{pk}/delete/                                            302  405 405    405  405    405 405 405  405 405
GET /changes/{pk}/do/{verb}/                                         302  405 405    405  405    405 405 405  405 405
GET /changes/{pk}/edit/                                              302  200 403    403  200    403 403 403  403 200
GET /changes/{pk}/work-log/                                          302  405 405    405  405    405 405 405  405 405
GET /favicon.ico                                                     301  301 301    301  301    301 301 301  301 301
GET /healthz                                                         200  200 200    200  200    200 200 200  200 200
GET /incidents/                                                      302  200 200    200  200    200 200 200  200 200
GET /incidents/action-items/                                         302  200 200    200  200    200 200 200  200 200
GET /incidents/action-items/{item_id}/{verb}/                        302  405 405    405  405    405 405 405  405 405
GET /incidents/new/                                                  302  200 200    200  200    200 200 403  200 200
GET /incidents/notifications/                                        302  200 200    200  200    200 200 200  200 200
GET /incidents/notifications/read/                                   302  405 405    405  405    405 405 405  405 405
GET /incidents/queue/                                                302  200 200    200  200    200 200 200  200 200
GET /incidents/{pk}/                                                 302  200 200    200  200    200 200 200  200 200
GET /incidents/{pk}/do/{verb}/                                       302  405 405    405  405    405 405 405  405 405
GET /incidents/{pk}/edit/                                            302  403 200    200  200    403 200 403  403 200
GET /incidents/{pk}/live/                                            302  200 200    200  200    200 200 200  200 200
GET /incidents/{pk}/postmortem/                                      302  200 200    200  200    200 200 200  200 200
GET /incidents/{pk}/postmortem/do/{verb}/                            302  405 405    405  405    405 405 405  405 405
GET /incidents/{pk}/postmortem/entries/                              302  405 405    405  405    405 405 405  405 405
GET /incidents/{pk}/postmortem/entries/{entry_id}/remove/            302  405 405    405  405    405 405 405  405 405
GET /incidents/{pk}/postmortem/items/                                302  405 405    405  405    405 405 405  405 405
GET /incidents/{pk}/postmortem/start/                                302  405 405    405  405    405 405 405  405 405
GET /integrations/                                                   302  200 200    200  200    200 200 200  200 200
GET /integrations/new/                                               302  403 403    403  200    403 403 403  403 200
GET /integrations/preferences/                                       302  200 200    200  200    200 200 200  200 200
GET /integrations/webhooks/                                          302  403 403    200  200    403 403 403  200 200
GET /integrations/webhooks/new/                                      302  403 403    403  200    403 403 403  403 200
GET /integrations/webhooks/{pk}/                                     302  403 403    200  200    403 403 403  200 200
GET /integrations/webhooks/{pk}/deliveries/{delivery_id}/            302  403 403    200  200    403 403 403  200 200
GET /integrations/webhooks/{pk}/deliveries/{delivery_id}/redeliver/  302  405 405    405  405    405 405 405  405 405
GET /integrations/webhooks/{pk}/edit/                                302  403 403    403  200    403 403 403  403 200
GET /integrations/webhooks/{pk}/{verb}/                              302  405 405    405  405    405 405 405  405 405
GET /integrations/{pk}/                                              302  403 200    200  200    403 403 403  200 200
GET /integrations/{pk}/delete/                                       302  405 405    405  405    405 405 405  405 405
GET /integrations/{pk}/deliveries/                                   302  403 200    200  200    403 403 403  200 200
GET /integrations/{pk}/deliveries/{delivery_id}/                     302  403 200    200  200    403 403 403  200 200
GET /integrations/{pk}/edit/                                         302  403 403    403  200    403 403 403  403 200
GET /integrations/{pk}/rotate-token/                                 302  405 405    405  405    405 405 405  405 405
GET /integrations/{pk}/rules/                                        302  405 405    405  405    405 405 405  405 405
GET /integrations/{pk}/rules/{rule_id}/delete/                       302  405 405    405  405    405 405 405  405 405
GET /integrations/{pk}/severities/                                   302  405 405    405  405    405 405 405  405 405
GET /integrations/{pk}/severities/{mapping_id}/delete/               302  405 405    405  405    405 405 405  405 405
GET /language/                                                       405  405 405    405  405    405 405 405  405 405
GET /login/                                                          200  200 200    200  200    200 200 200  200 200
GET /logout/                                                         302  405 405    405  405    405 405 405  405 405
GET /maintenance/                                                    302  403 200    200  200    200 200 403  200 200
GET /maintenance/jobs/{pk}/delete/                                   302  405 405    405  405    405 405 405  405 405
GET /maintenance/jobs/{pk}/edit/                                     302  403 403    403  403    403 403 403  403 200
GET /maintenance/plans/new/                                          302  403 403    403  403    403 403 403  403 200
GET /maintenance/plans/{pk}/                                         302  403 200    200  200    200 200 403  200 200
GET /maintenance/plans/{pk}/delete/                                  302  405 405    405  405    405 405 405  405 405
GET /maintenance/plans/{pk}/edit/                                    302  403 403    403  403    403 403 403  403 200
GET /maintenance/plans/{pk}/jobs/new/                                302  403 403    403  403    403 403 403  403 200
GET /maintenance/plans/{pk}/run/                                     302  405 405    405  405    405 405 405  405 405
GET /maintenance/plans/{pk}/toggle/                                  302  405 405    405  405    405 405 405  405 405
GET /maintenance/runs/                                               302  403 200    200  200    200 200 403  200 200
GET /maintenance/runs/{pk}/                                          302  403 200    200  200    200 200 403  200 200
GET /maintenance/updates/                                            302  403 200    200  200    200 200 403  200 200
GET /maintenance/updates/new/                                        302  403 200    200  200    403 200 403  403 200
GET /maintenance/updates/{pk}/                                       302  403 200    200  200    200 200 403  200 200
GET /maintenance/updates/{pk}/edit/                                  302  403 403    200  200    403 403 403  403 200
GET /maintenance/updates/{pk}/{action}/                              302  405 405    405  405    405 405 405  405 405
GET /me/                                                             302  200 200    200  200    200 200 200  200 200
GET /metrics                                                         403  403 403    403  403    403 403 403  403 200
GET /oncall/                                                         302  200 200    200  200    200 200 200  200 200
GET /oncall/calendar/person/{token}.ics                              200  200 200    200  200    200 200 200  200 200
GET /oncall/calendar/schedule/{token}.ics                            200  200 200    200  200    200 200 200  200 200
GET /oncall/fairness/                                                302  200 200    200  200    200 200 200  200 200
GET /oncall/me/                                                      302  200 200    200  200    200 200 200  200 200
GET /oncall/me/calendar/rotate/                                      302  405 405    405  405    405 405 405  405 405
GET /oncall/overrides/                                               302  200 200    200  200    200 200 200  200 200
GET /oncall/overrides/{pk}/cancel/                                   302  405 405    405  405    405 405 405  405 405
GET /oncall/rotations/{pk}/edit/                                     302  403 403    200  403    403 403 403  200 200
GET /oncall/rotations/{pk}/end/                                      302  405 405    405  405    405 405 405  405 405
GET /oncall/schedules/new/                                           302  403 403    403  403    403 403 403  200 200
GET /oncall/schedules/{pk}/                                          302  200 200    200  200    200 200 200  200 200
GET /oncall/schedules/{pk}/calendar/rotate/                          302  405 405    405  405    405 405 405  405 405
GET /oncall/schedules/{pk}/edit/                                     302  403 403    200  403    403 403 403  200 200
GET /oncall/schedules/{pk}/overrides/new/                            302  405 405    405  405    405 405 405  405 405
GET /oncall/schedules/{pk}/rotations/new/                            302  403 403    200  403    403 403 403  200 200
GET /oncall/teams/{slug}/                                            302  302 302    302  302    302 302 302  302 302
GET /oncall/teams/{slug}/take-over/                                  302  405 405    405  405    405 405 405  405 405
GET /password/change/                                                302  200 200    200  200    200 200 200  200 200
GET /password/change/done/                                           302  200 200    200  200    200 200 200  200 200
GET /releases/                                                       302  200 200    200  200    200 200 200  200 200
GET /releases/calendar.ics                                           302  200 200    200  200    200 200 200  200 200
GET /releases/calendar/                                              302  200 200    200  200    200 200 200  200 200
GET /releases/dora/                                                  302  200 200    200  200    200 200 200  200 200
GET /releases/new/                                                   302  403 403    200  200    403 200 403  403 200
GET /releases/{pk}/                                                  302  200 200    200  200    200 200 200  200 200
GET /releases/{pk}/deployments/                                      302  405 405    405  405    405 405 405  405 405
GET /releases/{pk}/edit/                                             302  403 403    200  200    403 200 403  403 200
GET /releases/{pk}/incidents/                                        302  405 405    405  405    405 405 405  405 405
GET /releases/{pk}/notes.md                                          302  200 200    200  200    200 200 200  200 200
GET /releases/{pk}/notes/                                            302  200 200    200  200    200 200 200  200 200
GET /releases/{pk}/{verb}/                                           302  405 405    405  405    405 405 405  405 405
GET /reports/                                                        302  403 403    403  200    403 403 200  200 200
GET /reports/backups/                                                302  403 403    403  200    403 403 200  200 200
GET /reports/changes/                                                302  403 403    403  200    403 403 200  200 200
GET /reports/postmortems/                                            302  403 403    403  200    403 403 200  200 200
GET /reports/releases/                                               302  403 403    403  200    403 403 200  200 200
GET /reports/sla/                                                    302  403 403    403  200    403 403 200  200 200
GET /reports/sla/incidents/{pk}/                                     302  403 403    403  200    403 403 200  200 200
GET /services/                                                       302  200 200    200  200    200 200 200  200 200
GET /timers/                                                         302  403 403    403  403    403 403 403  403 200
GET /timers/probe/                                                   302  405 405    405  405    405 405 405  405 405
GET /timers/{pk}/retry/                                              302  405 405    405  405    405 405 405  405 405
# the API: every operation of the OpenAPI schema
GET /api/v1/audit-events/                                            403  403 403    403  403    403 403 403  200 200
GET /api/v1/audit-events/{id}/                                       403  403 403    403  403    403 403 403  200 200
GET /api/v1/backup-policies/                                         403  200 200    200  200    200 200 200  200 200
POST /api/v1/backup-policies/                                        403  400 400    400  400    400 400 400  400 400
GET /api/v1/backup-policies/{id}/                                    403  200 200    200  200    200 200 200  200 200
PUT /api/v1/backup-policies/{id}/                                    403  400 400    400  400    400 400 400  400 400
PATCH /api/v1/backup-policies/{id}/                                  403  403 403    403  403    403 403 403  403 200
GET /api/v1/backup-runs/                                             403  200 200    200  200    200 200 200  200 200
POST /api/v1/backup-runs/                                            403  400 400    400  400    400 400 400  400 400
POST /api/v1/backup-runs/report/                                     403  400 400    400  400    400 400 400  400 400
GET /api/v1/backup-runs/{id}/                                        403  200 200    200  200    200 200 200  200 200
POST /api/v1/backup-runs/{id}/expire/                                403  400 400    400  400    400 400 400  400 400
POST /api/v1/backup-runs/{id}/fail-verification/                     403  400 400    400  400    400 400 400  400 400
POST /api/v1/backup-runs/{id}/fail/                                  403  400 400    400  400    400 400 400  400 400
POST /api/v1/backup-runs/{id}/finish/                                403  403 409    409  409    403 403 403  403 409
POST /api/v1/backup-runs/{id}/purge/                                 403  403 409    409  409    403 403 403  403 409
POST /api/v1/backup-runs/{id}/start/                                 403  403 409    409  409    403 403 403  403 409
POST /api/v1/backup-runs/{id}/verify/                                403  403 200    200  200    403 403 403  403 200
GET /api/v1/backup-targets/                                          403  200 200    200  200    200 200 200  200 200
POST /api/v1/backup-targets/                                         403  400 400    400  400    400 400 400  400 400
GET /api/v1/backup-targets/{slug}/                                   403  200 200    200  200    200 200 200  200 200
PUT /api/v1/backup-targets/{slug}/                                   403  400 400    400  400    400 400 400  400 400
PATCH /api/v1/backup-targets/{slug}/                                 403  403 403    403  403    403 403 403  403 200
GET /api/v1/cab-meetings/                                            403  200 200    200  200    200 200 200  200 200
POST /api/v1/cab-meetings/                                           403  400 400    400  400    400 400 400  400 400
GET /api/v1/cab-meetings/{id}/                                       403  200 200    200  200    200 200 200  200 200
POST /api/v1/cab-meetings/{id}/close/                                403  400 400    400  400    400 400 400  400 400
POST /api/v1/cab-meetings/{id}/refresh-agenda/                       403  403 403    403  200    200 403 403  403 200
GET /api/v1/change-calendar/                                         403  400 400    400  400    400 400 400  400 400
GET /api/v1/change-policies/                                         403  200 200    200  200    200 200 200  200 200
GET /api/v1/change-policies/{id}/                                    403  200 200    200  200    200 200 200  200 200
PATCH /api/v1/change-policies/{id}/                                  403  403 403    403  403    403 403 403  403 200
GET /api/v1/change-templates/                                        403  200 200    200  200    200 200 200  200 200
POST /api/v1/change-templates/                                       403  400 400    400  400    400 400 400  400 400
GET /api/v1/change-templates/{id}/                                   403  200 200    200  200    200 200 200  200 200
PATCH /api/v1/change-templates/{id}/                                 403  400 400    400  400    400 400 400  400 400
POST /api/v1/change-templates/{id}/approve/                          403  409 409    409  409    409 409 409  409 409
POST /api/v1/change-templates/{id}/new-version/                      403  201 201    201  201    201 201 403  403 201
POST /api/v1/change-templates/{id}/reject/                           403  409 409    409  409    409 409 409  409 409
POST /api/v1/change-templates/{id}/retire/                           403  403 403    403  200    403 403 403  403 200
GET /api/v1/changes/                                                 403  200 200    200  200    200 200 200  200 200
POST /api/v1/changes/                                                403  400 400    400  400    400 400 403  403 400
GET /api/v1/changes/awaiting-my-approval/                            403  200 200    200  200    200 200 200  200 200
GET /api/v1/changes/{id}/                                            403  200 200    200  200    200 200 200  200 200
PATCH /api/v1/changes/{id}/                                          403  200 403    403  200    403 403 403  403 200
DELETE /api/v1/changes/{id}/                                         403  204 403    403  204    403 403 403  403 204
POST /api/v1/changes/{id}/approve/                                   403  409 409    409  409    409 409 409  409 409
POST /api/v1/changes/{id}/assess/                                    403  409 409    409  409    409 409 409  409 409
POST /api/v1/changes/{id}/cancel/                                    403  400 400    400  400    400 400 400  400 400
POST /api/v1/changes/{id}/check/                                     403  400 400    400  400    400 400 400  400 400
POST /api/v1/changes/{id}/close/                                     403  409 409    409  409    409 409 409  409 409
POST /api/v1/changes/{id}/comment/                                   403  400 400    400  400    400 400 400  400 400
POST /api/v1/changes/{id}/confirm-backup/                            403  400 400    400  400    400 400 400  400 400
POST /api/v1/changes/{id}/fail/                                      403  400 400    400  400    400 400 400  400 400
POST /api/v1/changes/{id}/finish/                                    403  409 409    409  409    409 409 409  409 409
POST /api/v1/changes/{id}/reject/                                    403  400 400    400  400    400 400 400  400 400
POST /api/v1/changes/{id}/request-approval/                          403  409 409    409  409    409 409 409  409 409
POST /api/v1/changes/{id}/reschedule/                                403  400 400    400  400    400 400 400  400 400
POST /api/v1/changes/{id}/roll-back/                                 403  400 400    400  400    400 400 400  400 400
POST /api/v1/changes/{id}/schedule/                                  403  409 409    409  409    409 409 409  409 409
POST /api/v1/changes/{id}/start-review/                              403  409 409    409  409    409 409 409  409 409
POST /api/v1/changes/{id}/start/                                     403  409 409    409  409    409 409 409  409 409
POST /api/v1/changes/{id}/submit/                                    403  200 403    403  200    403 403 403  403 200
GET /api/v1/changes/{id}/timeline/                                   403  200 200    200  200    200 200 200  200 200
POST /api/v1/changes/{id}/verify/                                    403  409 409    409  409    409 409 409  409 409
POST /api/v1/changes/{id}/vote/                                      403  400 400    400  400    400 400 400  400 400
POST /api/v1/changes/{id}/work-log/                                  403  400 400    400  400    400 400 400  400 400
GET /api/v1/deployments/                                             403  200 200    200  200    200 200 200  200 200
GET /api/v1/deployments/{id}/                                        403  200 200    200  200    200 200 200  200 200
POST /api/v1/deployments/{id}/incidents/                             403  400 400    400  400    400 400 400  400 400
GET /api/v1/freeze-periods/                                          403  200 200    200  200    200 200 200  200 200
POST /api/v1/freeze-periods/                                         403  400 400    400  400    400 400 400  400 400
GET /api/v1/freeze-periods/{id}/                                     403  200 200    200  200    200 200 200  200 200
PATCH /api/v1/freeze-periods/{id}/                                   403  403 403    403  200    403 403 403  403 200
DELETE /api/v1/freeze-periods/{id}/                                  403  403 403    403  204    403 403 403  403 204
GET /api/v1/incident-action-items/                                   403  200 200    200  200    200 200 200  200 200
POST /api/v1/incident-action-items/                                  403  400 400    400  400    400 400 400  400 400
GET /api/v1/incident-action-items/{id}/                              403  200 200    200  200    200 200 200  200 200
PUT /api/v1/incident-action-items/{id}/                              403  403 200    200  200    403 200 403  403 200
PATCH /api/v1/incident-action-items/{id}/                            403  403 200    200  200    403 200 403  403 200
POST /api/v1/incident-action-items/{id}/cancel/                      403  400 400    400  400    400 400 400  400 400
POST /api/v1/incident-action-items/{id}/complete/                    403  403 200    200  200    403 200 403  403 200
GET /api/v1/incident-escalation-policies/                            403  200 200    200  200    200 200 200  200 200
GET /api/v1/incident-escalation-policies/{id}/                       403  200 200    200  200    200 200 200  200 200
GET /api/v1/incident-notifications/                                  403  200 200    200  200    200 200 200  200 200
POST /api/v1/incident-notifications/mark-read/                       403  200 200    200  200    200 200 200  200 200
GET /api/v1/incident-priority-matrix/                                403  200 200    200  200    200 200 200  200 200
GET /api/v1/incident-priority-matrix/{id}/                           403  200 200    200  200    200 200 200  200 200
GET /api/v1/incident-priority-policies/                              403  200 200    200  200    200 200 200  200 200
GET /api/v1/incident-priority-policies/{id}/                         403  200 200    200  200    200 200 200  200 200
GET /api/v1/incidents/                                               403  200 200    200  200    200 200 200  200 200
POST /api/v1/incidents/                                              403  400 400    400  400    400 400 400  400 400
GET /api/v1/incidents/{id}/                                          403  200 200    200  200    200 200 200  200 200
PUT /api/v1/incidents/{id}/                                          403  403 200    200  200    403 200 403  403 200
PATCH /api/v1/incidents/{id}/                                        403  403 200    200  200    403 200 403  403 200
DELETE /api/v1/incidents/{id}/                                       403  403 403    403  403    403 403 403  403 204
POST /api/v1/incidents/{id}/acknowledge/                             403  403 200    200  200    403 200 403  403 200
POST /api/v1/incidents/{id}/assign/                                  403  400 400    400  400    400 400 400  400 400
POST /api/v1/incidents/{id}/close/                                   403  409 409    409  409    409 409 409  409 409
POST /api/v1/incidents/{id}/declare-major/                           403  400 400    400  400    400 400 400  400 400
POST /api/v1/incidents/{id}/deescalate/                              403  400 400    400  400    400 400 400  400 400
POST /api/v1/incidents/{id}/escalate/                                403  400 400    400  400    400 400 400  400 400
POST /api/v1/incidents/{id}/investigate/                             403  409 409    409  409    409 409 409  409 409
POST /api/v1/incidents/{id}/link-change/                             403  400 400    400  400    400 400 400  400 400
POST /api/v1/incidents/{id}/merge/                                   403  400 400    400  400    400 400 400  400 400
GET /api/v1/incidents/{id}/notifications/                            403  200 200    200  200    200 200 200  200 200
POST /api/v1/incidents/{id}/prioritize/                              403  400 400    400  400    400 400 400  400 400
POST /api/v1/incidents/{id}/recover/                                 403  400 400    400  400    400 400 400  400 400
POST /api/v1/incidents/{id}/reopen/                                  403  400 400    400  400    400 400 400  400 400
POST /api/v1/incidents/{id}/request-postmortem/                      403  403 403    200  200    403 403 403  200 200
POST /api/v1/incidents/{id}/resume/                                  403  409 409    409  409    409 409 409  409 409
POST /api/v1/incidents/{id}/set-parent/                              403  400 400    400  400    400 400 400  400 400
GET /api/v1/incidents/{id}/timeline/                                 403  200 200    200  200    200 200 200  200 200
POST /api/v1/incidents/{id}/triage/                                  403  400 400    400  400    400 400 400  400 400
POST /api/v1/incidents/{id}/verify/                                  403  409 409    409  409    409 409 409  409 409
POST /api/v1/incidents/{id}/wait/                                    403  400 400    400  400    400 400 400  400 400
GET /api/v1/intake-deliveries/                                       403  403 200    200  200    403 403 403  200 200
GET /api/v1/intake-deliveries/{id}/                                  403  403 200    200  200    403 403 403  200 200
GET /api/v1/intake-groups/                                           403  403 200    200  200    403 403 403  200 200
GET /api/v1/intake-groups/{id}/                                      403  403 200    200  200    403 403 403  200 200
GET /api/v1/intake-groups/{id}/alerts/                               403  403 200    200  200    403 403 403  200 200
POST /api/v1/intake/alertmanager/                                    401  401 401    401  401    401 401 401  401 401
POST /api/v1/intake/events/                                          401  401 401    401  401    401 401 401  401 401
GET /api/v1/integrations/                                            403  403 200    200  200    403 403 403  200 200
POST /api/v1/integrations/                                           403  403 403    403  400    403 403 403  403 400
GET /api/v1/integrations/{id}/                                       403  403 200    200  200    403 403 403  200 200
PATCH /api/v1/integrations/{id}/                                     403  403 403    403  200    403 403 403  403 200
DELETE /api/v1/integrations/{id}/                                    403  403 403    403  204    403 403 403  403 204
POST /api/v1/integrations/{id}/rotate-token/                         403  403 403    403  200    403 403 403  403 200
POST /api/v1/integrations/{id}/rules/                                403  403 403    403  400    403 403 403  403 400
DELETE /api/v1/integrations/{id}/rules/{rule_id}/                    403  403 403    403  204    403 403 403  403 204
POST /api/v1/integrations/{id}/severities/                           403  403 403    403  400    403 403 403  403 400
GET /api/v1/maintenance-jobs/                                        403  403 200    200  200    200 200 403  200 200
POST /api/v1/maintenance-jobs/                                       403  400 400    400  400    400 400 400  400 400
GET /api/v1/maintenance-jobs/{id}/                                   403  403 200    200  200    200 200 403  200 200
PATCH /api/v1/maintenance-jobs/{id}/                                 403  403 403    403  403    403 403 403  403 200
DELETE /api/v1/maintenance-jobs/{id}/                                403  403 403    403  403    403 403 403  403 204
GET /api/v1/maintenance-plans/                                       403  403 200    200  200    200 200 403  200 200
POST /api/v1/maintenance-plans/                                      403  400 400    400  400    400 400 400  400 400
GET /api/v1/maintenance-plans/{id}/                                  403  403 200    200  200    200 200 403  200 200
PATCH /api/v1/maintenance-plans/{id}/                                403  403 403    403  403    403 403 403  403 200
DELETE /api/v1/maintenance-plans/{id}/                               403  403 403    403  403    403 403 403  403 409
POST /api/v1/maintenance-plans/{id}/pause/                           403  403 403    403  403    403 403 403  403 200
POST /api/v1/maintenance-plans/{id}/resume/                          403  403 403    403  403    403 403 403  403 200
POST /api/v1/maintenance-plans/{id}/run/                             403  403 403    403  403    403 403 403  403 409
GET /api/v1/maintenance-runs/                                        403  403 200    200  200    200 200 403  200 200
GET /api/v1/maintenance-runs/{id}/                                   403  403 200    200  200    200 200 403  200 200
GET /api/v1/maintenance-windows/                                     403  200 200    200  200    200 200 200  200 200
POST /api/v1/maintenance-windows/                                    403  400 400    400  400    400 400 400  400 400
GET /api/v1/maintenance-windows/{id}/                                403  200 200    200  200    200 200 200  200 200
PATCH /api/v1/maintenance-windows/{id}/                              403  403 403    403  200    403 403 403  403 200
DELETE /api/v1/maintenance-windows/{id}/                             403  403 403    403  204    403 403 403  403 204
GET /api/v1/me/                                                      403  200 200    200  200    200 200 200  200 200
PUT /api/v1/me/                                                      403  200 200    200  200    200 200 200  200 200
PATCH /api/v1/me/                                                    403  200 200    200  200    200 200 200  200 200
GET /api/v1/notification-preferences/                                403  200 200    200  200    200 200 200  200 200
PUT /api/v1/notification-preferences/                                403  200 200    200  200    200 200 200  200 200
GET /api/v1/oncall/overrides/                                        403  200 200    200  200    200 200 200  200 200
POST /api/v1/oncall/overrides/                                       403  400 400    400  400    400 400 400  400 400
GET /api/v1/oncall/overrides/{id}/                                   403  200 200    200  200    200 200 200  200 200
POST /api/v1/oncall/overrides/{id}/cancel/                           403  403 403    409  403    403 403 403  409 409
GET /api/v1/oncall/rotations/                                        403  200 200    200  200    200 200 200  200 200
POST /api/v1/oncall/rotations/                                       403  400 400    400  400    400 400 400  400 400
GET /api/v1/oncall/rotations/{id}/                                   403  200 200    200  200    200 200 200  200 200
PUT /api/v1/oncall/rotations/{id}/                                   403  400 400    400  400    400 400 400  400 400
PATCH /api/v1/oncall/rotations/{id}/                                 403  403 403    200  403    403 403 403  200 200
DELETE /api/v1/oncall/rotations/{id}/                                403  403 403    204  403    403 403 403  204 204
GET /api/v1/oncall/schedules/                                        403  200 200    200  200    200 200 200  200 200
POST /api/v1/oncall/schedules/                                       403  400 400    400  400    400 400 400  400 400
GET /api/v1/oncall/schedules/{id}/                                   403  200 200    200  200    200 200 200  200 200
PUT /api/v1/oncall/schedules/{id}/                                   403  400 400    400  400    400 400 400  400 400
PATCH /api/v1/oncall/schedules/{id}/                                 403  403 403    200  403    403 403 403  200 200
DELETE /api/v1/oncall/schedules/{id}/                                403  403 403    403  403    403 403 403  204 204
POST /api/v1/oncall/schedules/{id}/rotate-calendar-token/            403  403 403    200  403    403 403 403  200 200
GET /api/v1/oncall/schedules/{id}/shifts/                            403  200 200    200  200    200 200 200  200 200
GET /api/v1/oncall/{team}/now/                                       403  200 200    200  200    200 200 200  200 200
POST /api/v1/oncall/{team}/take-over/                                403  403 201    201  201    201 201 403  201 201
GET /api/v1/pending-updates/                                         403  403 200    200  200    200 200 403  200 200
POST /api/v1/pending-updates/                                        403  400 400    400  400    400 400 400  400 400
GET /api/v1/pending-updates/{id}/                                    403  403 200    200  200    200 200 403  200 200
PATCH /api/v1/pending-updates/{id}/                                  403  403 403    200  200    403 403 403  403 200
POST /api/v1/pending-updates/{id}/analyse/                           403  403 403    200  200    403 403 403  403 200
POST /api/v1/pending-updates/{id}/apply/                             403  403 403    409  409    403 403 403  403 409
POST /api/v1/pending-updates/{id}/dismiss/                           403  403 403    400  400    403 403 403  403 400
POST /api/v1/pending-updates/{id}/schedule/                          403  403 403    400  400    403 403 403  403 400
GET /api/v1/postmortems/                                             403  200 200    200  200    200 200 200  200 200
POST /api/v1/postmortems/                                            403  400 400    400  400    400 400 400  400 400
GET /api/v1/postmortems/{id}/                                        403  200 200    200  200    200 200 200  200 200
PUT /api/v1/postmortems/{id}/                                        403  403 200    200  200    403 200 403  403 200
PATCH /api/v1/postmortems/{id}/                                      403  403 200    200  200    403 200 403  403 200
POST /api/v1/postmortems/{id}/entries/                               403  400 400    400  400    400 400 400  400 400
POST /api/v1/postmortems/{id}/publish/                               403  409 409    409  409    409 409 409  409 409
POST /api/v1/postmortems/{id}/request-changes/                       403  400 400    400  400    400 400 400  400 400
POST /api/v1/postmortems/{id}/submit/                                403  403 400    400  400    403 400 403  403 400
GET /api/v1/releases/                                                403  200 200    200  200    200 200 200  200 200
POST /api/v1/releases/                                               403  400 400    400  400    400 400 400  400 400
GET /api/v1/releases/dora/                                           403  200 200    200  200    200 200 200  200 200
GET /api/v1/releases/{id}/                                           403  200 200    200  200    200 200 200  200 200
PUT /api/v1/releases/{id}/                                           403  400 400    400  400    400 400 400  400 400
PATCH /api/v1/releases/{id}/                                         403  403 403    200  200    403 200 403  403 200
DELETE /api/v1/releases/{id}/                                        403  403 403    403  403    403 403 403  403 409
GET /api/v1/releases/{id}/builds/                                    403  200 200    200  200    200 200 200  200 200
POST /api/v1/releases/{id}/builds/                                   403  400 400    400  400    400 400 400  400 400
POST /api/v1/releases/{id}/cancel/                                   403  403 403    400  400    403 403 403  403 400
POST /api/v1/releases/{id}/complete/                                 403  409 409    409  409    409 409 409  409 409
GET /api/v1/releases/{id}/deployments/                               403  200 200    200  200    200 200 200  200 200
POST /api/v1/releases/{id}/deployments/                              403  400 400    400  400    400 400 400  400 400
GET /api/v1/releases/{id}/events/                                    403  200 200    200  200    200 200 200  200 200
POST /api/v1/releases/{id}/fail-staging/                             403  409 409    409  409    409 409 409  409 409
POST /api/v1/releases/{id}/fail-test/                                403  409 409    409  409    409 409 409  409 409
GET /api/v1/releases/{id}/notes/                                     403  200 200    200  200    200 200 200  200 200
POST /api/v1/releases/{id}/promote-to-production/                    403  409 409    409  409    409 409 409  409 409
POST /api/v1/releases/{id}/promote-to-staging/                       403  409 409    409  409    409 409 409  409 409
POST /api/v1/releases/{id}/rollback/                                 403  409 409    409  409    409 409 409  409 409
POST /api/v1/releases/{id}/start-canary/                             403  409 409    409  409    409 409 409  409 409
POST /api/v1/releases/{id}/start-testing/                            403  403 403    409  409    403 409 403  403 409
GET /api/v1/releases/{id}/test-results/                              403  200 200    200  200    200 200 200  200 200
POST /api/v1/releases/{id}/test-results/                             403  400 400    400  400    400 400 400  400 400
GET /api/v1/reports/backups/                                         403  403 403    403  200    403 403 200  200 200
GET /api/v1/reports/changes/                                         403  403 403    403  200    403 403 200  200 200
GET /api/v1/reports/dashboard/                                       403  403 403    403  200    403 403 200  200 200
GET /api/v1/reports/postmortems/                                     403  403 403    403  200    403 403 200  200 200
GET /api/v1/reports/releases/                                        403  403 403    403  200    403 403 200  200 200
GET /api/v1/reports/sla/                                             403  403 403    403  200    403 403 200  200 200
GET /api/v1/reports/sla/incidents/{id}/                              403  403 403    403  200    403 403 200  200 200
GET /api/v1/restore-tests/                                           403  200 200    200  200    200 200 200  200 200
POST /api/v1/restore-tests/                                          403  400 400    400  400    400 400 400  400 400
GET /api/v1/restore-tests/{id}/                                      403  200 200    200  200    200 200 200  200 200
POST /api/v1/restore-tests/{id}/assign/                              403  400 400    400  400    400 400 400  400 400
POST /api/v1/restore-tests/{id}/cancel/                              403  400 400    400  400    400 400 400  400 400
POST /api/v1/restore-tests/{id}/record/                              403  400 400    400  400    400 400 400  400 400
GET /api/v1/services/                                                403  200 200    200  200    200 200 200  200 200
POST /api/v1/services/                                               403  403 403    403  403    403 403 403  403 400
GET /api/v1/services/{slug}/                                         403  200 200    200  200    200 200 200  200 200
PUT /api/v1/services/{slug}/                                         403  403 403    403  403    403 403 403  403 400
PATCH /api/v1/services/{slug}/                                       403  403 403    403  403    403 403 403  403 200
DELETE /api/v1/services/{slug}/                                      403  403 403    403  403    403 403 403  403 409
GET /api/v1/storage-locations/                                       403  200 200    200  200    200 200 200  200 200
POST /api/v1/storage-locations/                                      403  400 400    400  400    400 400 400  400 400
GET /api/v1/storage-locations/{id}/                                  403  200 200    200  200    200 200 200  200 200
PUT /api/v1/storage-locations/{id}/                                  403  400 400    400  400    400 400 400  400 400
PATCH /api/v1/storage-locations/{id}/                                403  403 403    403  403    403 403 403  403 200
GET /api/v1/teams/                                                   403  200 200    200  200    200 200 200  200 200
POST /api/v1/teams/                                                  403  403 403    403  403    403 403 403  403 400
GET /api/v1/teams/{slug}/                                            403  200 200    200  200    200 200 200  200 200
PUT /api/v1/teams/{slug}/                                            403  403 403    403  403    403 403 403  403 400
PATCH /api/v1/teams/{slug}/                                          403  403 403    403  403    403 403 403  403 200
DELETE /api/v1/teams/{slug}/                                         403  403 403    403  403    403 403 403  403 409
GET /api/v1/webhook-deliveries/                                      403  403 403    200  200    403 403 403  200 200
GET /api/v1/webhook-deliveries/{id}/                                 403  403 403    200  200    403 403 403  200 200
POST /api/v1/webhook-deliveries/{id}/redeliver/                      403  403 403    403  409    403 403 403  403 409
GET /api/v1/webhook-event-types/                                     403  200 200    200  200    200 200 200  200 200
GET /api/v1/webhooks/                                                403  403 403    200  200    403 403 403  200 200
POST /api/v1/webhooks/                                               403  403 403    403  400    403 403 403  403 400
GET /api/v1/webhooks/{id}/                                           403  403 403    200  200    403 403 403  200 200
PATCH /api/v1/webhooks/{id}/                                         403  403 403    403  200    403 403 403  403 200
DELETE /api/v1/webhooks/{id}/                                        403  403 403    403  204    403 403 403  403 204
POST /api/v1/webhooks/{id}/disable/                                  403  403 403    403  200    403 403 403  403 200
POST /api/v1/webhooks/{id}/enable/                                   403  403 403    403  409    403 403 403  403 409
POST /api/v1/webhooks/{id}/ping/                                     403  403 403    403  202    403 403 403  403 202
POST /api/v1/webhooks/{id}/rotate-secret/                            403  403 403    403  200    403 403 403  403 200
"""  # noqa: E501

# Pages that are not the portal's: Django's admin (its own staff check, rows per model
# would triple this table) and static files.
NOT_PAGES = ("/admin/", "/static/")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
REFUSED = {401, 403, 404, 405}
# Bookkeeping a refused request may still write: the session and the login lockout records.
BOOKKEEPING = re.compile(r'"?(django_session|axes_\w+)"?')
WRITE_SQL = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


def parse(table: str) -> dict[str, dict[str, str]]:
    """ "GET /path/" → {role: expected status}."""
    lines = [line.split() for line in table.strip().splitlines() if not line.startswith("#")]
    header, rows = lines[0], lines[1:]
    assert header[2:] == COLUMNS, header
    expected = {}
    for row in rows:
        key = f"{row[0]} {row[1]}"
        assert key not in expected, f"{key} appears twice in the table"
        assert len(row) == 2 + len(COLUMNS), f"{key}: {len(row) - 2} cells"
        assert "500" not in row, f"{key}: 500 is never an expected outcome"
        expected[key] = dict(zip(ROLES, row[2:], strict=True))
    return expected


EXPECTED = parse(MATRIX)


def page_rows() -> list[str]:
    rows = set()
    for route, _name in routes():
        path = template(route)
        if path.startswith(NOT_PAGES) or path.startswith("/api/v1/"):
            continue
        rows.add(f"GET {path}")
    return sorted(rows)


@cache
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operation_rows() -> list[str]:
    return sorted(
        f"{method.upper()} {path}"
        for path, item in schema()["paths"].items()
        for method in item
        if method.upper() in {"GET", *WRITES}
    )


PAGES = page_rows()
OPERATIONS = operation_rows()


def _shape(path: str) -> str:
    return re.sub(r"\{\w+\}", "{}", path)


def test_every_page_and_operation_has_a_row_and_every_row_an_endpoint():
    wanted = set(PAGES) | set(OPERATIONS)
    missing = sorted(wanted - set(EXPECTED))
    stale = sorted(set(EXPECTED) - wanted)
    assert not missing, "not in the role matrix (run its tests for the observed rows):\n" + (
        "\n".join(missing)
    )
    assert not stale, "rows for endpoints that no longer exist:\n" + "\n".join(stale)


def test_every_api_route_is_in_the_schema():
    """A view missing from the schema would escape this matrix and the schema fuzzing."""
    documented = {_shape(path) for path in schema()["paths"]}
    api_routes = {
        _shape(path)
        for route, _name in routes()
        if (path := template(route)).startswith("/api/v1/") and path != "/api/v1/"
    }
    assert sorted(api_routes - documented) == []


# One data set for the module, inside a transaction rolled back at its end; each test (and
# each request) runs in a savepoint of its own, so no test sees another's writes.
@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    # /api/schema/ is generated once, not once per role: its access is what is tested here.
    with pytest.MonkeyPatch.context() as patch, django_db_blocker.unblock():
        cached = schema()
        patch.setattr(SchemaGenerator, "get_schema", lambda *args, **kwargs: cached)
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            made = one_of_each.make()
            for role, user in made.users.items():
                made.tokens[role] = Token.objects.create(user=user).key
                client = Client()
                client.force_login(user)
                made.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
            made.values = {_shape(k): v for k, v in one_of_each.url_values(made).items()}
            yield made
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _path(data, row: str) -> str:
    def value(key: str) -> str:
        try:
            return data.values[_shape(key)]
        except KeyError:
            raise AssertionError(f"tests/itsm/one_of_each.py has no value for {key}") from None

    return fill(row.split(" ", 1)[1], value)


def _request(data, row: str, role: str) -> tuple[int, list[str]]:
    """(status, tables written) for one role; the request's writes are rolled back."""
    method, _ = row.split(" ", 1)
    path = _path(data, row)
    client = Client()
    headers = {}
    if role != ANONYMOUS:
        if path.startswith("/api/"):
            headers["HTTP_AUTHORIZATION"] = f"Token {data.tokens[role]}"
        else:
            client.cookies[settings.SESSION_COOKIE_NAME] = data.sessions[role]
    body = {} if method in WRITES else None
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        if body is None:
            response = client.generic(method, path, **headers)
        else:
            response = client.generic(
                method, path, data="{}", content_type="application/json", **headers
            )
        transaction.set_rollback(True)
    written = sorted(
        {
            match.group(2)
            for query in queries.captured_queries
            if (match := WRITE_SQL.match(query["sql"])) and not BOOKKEEPING.match(match.group(2))
        }
    )
    status = response.status_code
    if role == ANONYMOUS and status == 302:
        location = response["Location"]
        assert location.startswith(resolve_url(settings.LOGIN_URL)), f"{path}: {location}"
    return status, written


def _check(data, row: str) -> None:
    observed = {role: _request(data, row, role) for role in ROLES}
    line = f"{row:<{ROW_WIDTH}} " + " ".join(
        f"{observed[role][0]:<{len(col)}}" for col, role in zip(COLUMNS, ROLES, strict=True)
    )
    problems = []
    for role, (status, written) in observed.items():
        if status >= 500:
            problems.append(f"{role}: {status}")
        refused = status in REFUSED or (role == ANONYMOUS and status == 302)
        if refused and written:
            problems.append(f"{role}: refused with {status} but wrote to {', '.join(written)}")
    if row not in EXPECTED:
        problems.append("not in the table; observed row:")
    else:
        for role, want in EXPECTED[row].items():
            if str(observed[role][0]) != want:
                problems.append(f"{role}: expected {want}, got {observed[role][0]}")
    assert not problems, f"{row}\n" + "\n".join(problems) + f"\n{line}"


@pytest.mark.parametrize("row", PAGES)
def test_page(data, row):
    _check(data, row)


@pytest.mark.parametrize("row", OPERATIONS)
def test_api_operation(data, row):
    _check(data, row)
