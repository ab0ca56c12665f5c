"""End to end with the real Prometheus Alertmanager (Debian's prometheus-alertmanager 0.25).

The test starts Alertmanager on 127.0.0.1 with a temporary configuration whose webhook
receiver points at the portal's live test server, fires an alert through Alertmanager's
API v2, and watches what the portal does: one incident, no second one for repeats, and the
incident recovered when the alert resolves. Skipped without the binary; fails in CI.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest
from django.db import OperationalError

from incidents.models import Incident, Status
from integrations.models import AlertGroup, Delivery
from tests.conftest import _skip_or_fail

from .factories import make_integration, make_world

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CONFIG = """
route:
  receiver: itsm
  group_by: ["alertname"]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: itsm
    webhook_configs:
      - url: "{url}"
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: "{token}"
"""


def _binary() -> str | None:
    return shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _http(method: str, url: str, body=None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - a local test URL
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return response.status


def read(query):
    """Run a read while the live server writes. On SQLite the test thread and the server
    share one in-memory database, whose table locks make a read fail now and then."""
    for _attempt in range(200):
        try:
            return query()
        except OperationalError:
            time.sleep(0.05)
    return query()


def eventually(condition, *, timeout: float = 60.0, what: str = "condition"):
    """Wait for an external process to act (Alertmanager runs on its own clock)."""
    deadline = time.monotonic() + timeout
    while True:
        result = read(condition)
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def alertmanager(live_server, tmp_path):
    binary = _binary()
    if binary is None:
        _skip_or_fail("needs Prometheus Alertmanager: apt-get install prometheus-alertmanager")
    world = make_world()
    integration, token = make_integration(world, name="Live Alertmanager")
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        CONFIG.format(url=f"{live_server.url}/api/v1/intake/alertmanager/", token=token)
    )
    port = _free_port()
    log = (tmp_path / "alertmanager.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - a fixed local binary and arguments
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=debug",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def ready():
        if process.poll() is not None:
            raise AssertionError((tmp_path / "alertmanager.log").read_text())
        try:
            return _http("GET", f"{base}/-/ready") == 200
        except OSError:
            return False

    try:
        eventually(ready, timeout=20, what="Alertmanager to start")
        yield {"base": base, "integration": integration, "log": tmp_path / "alertmanager.log"}
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def fire(base: str, alert: dict) -> None:
    assert _http("POST", f"{base}/api/v2/alerts", [alert]) == 200


def rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def test_alertmanager_opens_one_incident_and_its_resolution_recovers_it(alertmanager):
    try:
        _scenario(alertmanager["base"])
    except AssertionError as exc:
        deliveries = read(lambda: list(Delivery.objects.values_list("outcome", "summary")))
        log = alertmanager["log"].read_text()[-3000:]
        raise AssertionError(f"{exc}\ndeliveries: {deliveries}\nalertmanager log:\n{log}") from exc


def _scenario(base: str) -> None:
    started = dt.datetime.now(dt.UTC)
    alert = {
        "labels": {"alertname": "DiskFull", "severity": "critical", "instance": "db1"},
        "annotations": {"summary": "Disk above 90 % on db1"},
        "startsAt": rfc3339(started),
        "generatorURL": "http://prometheus.example:9090/graph",
    }
    fire(base, alert)
    incident = eventually(lambda: Incident.objects.first(), what="the incident")
    assert incident.priority == "P1"
    assert incident.source == Incident.Source.MONITORING
    assert incident.title == "Disk above 90 % on db1"

    # The same alert again, and Alertmanager's own repeats: no second incident.
    fire(base, alert)
    eventually(
        lambda: Delivery.objects.filter(outcome="duplicate").count() >= 2,
        what="repeated deliveries",
    )
    assert read(Incident.objects.count) == 1
    group = read(AlertGroup.objects.get)
    assert group.incident == incident and group.alert_count == 1
    first = read(Delivery.objects.order_by("pk").first)
    sent = json.loads(first.body)
    assert sent["version"] == "4" and sent["status"] == "firing"
    assert sent["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"

    # Resolve it: the alert with an end in the past.
    fire(base, {**alert, "endsAt": rfc3339(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))})

    def recovered():
        incident.refresh_from_db()
        return incident.status == Status.RECOVERED

    eventually(recovered, what="the recovery")
    assert read(Incident.objects.count) == 1
    assert read(Delivery.objects.filter(outcome="recovered").count) == 1
    assert read(AlertGroup.objects.get).status == "resolved"
