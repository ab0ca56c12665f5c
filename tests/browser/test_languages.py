"""Journey (d): the main pages in Korean (chosen in the navbar) and Japanese (chosen in
Preferences) show translated text and no English left untranslated."""

import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from changes.models import Change
from incidents import services as incident_services
from reports import facts
from reports.params import add_months
from tests.changes.factories import change_in_state
from tests.incidents.factories import SYSTEM, make_world, report

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
JOURNEY = "languages"

# The text a person reads: rendered text nodes, plus placeholders, aria-labels and titles.
VISIBLE_TEXT = """() => {
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || ["SCRIPT", "STYLE", "NOSCRIPT"].includes(el.tagName)) continue;
    if (!el.checkVisibility({ checkVisibilityCSS: true })) continue;
    parts.push(walker.currentNode.textContent);
  }
  document.querySelectorAll("[placeholder], [aria-label], [title]").forEach((el) => {
    if (!el.checkVisibility()) return;
    for (const name of ["placeholder", "aria-label", "title"]) {
      if (el.getAttribute(name)) parts.push(el.getAttribute(name));
    }
  });
  return parts.join("\\n");
}"""

# Words that are the same in every language: our test data (names, titles, usernames, the
# seeded backup target and escalation policy), references, abbreviations, the language names
# in the switcher.
SAME_IN_EVERY_LANGUAGE = {
    "Payments", "API", "Platform", "Ops", "Service", "Desk", "Help", "desk", "Disk", "full",
    "Upgrade", "the", "driver", "oncall", "ops_manager", "ops_leader", "reporter",
    "requester", "manager", "admin", "developer", "executive", "Portal", "database",
    "Standard", "seed", "INC", "CHG", "ITSM", "SLA", "CSV", "PDF", "CAB", "CPU", "SLO", "RPO",
    "DORA", "Asia", "Seoul", "English",
}  # fmt: skip
WORD = re.compile(r"[A-Za-z][A-Za-z_]{2,}")

# Labels of the navigation and of these pages, as English readers see them.
ENGLISH_LABELS = [
    "My work", "Incidents", "Changes", "Reports", "Triage queue", "Acknowledge", "Priority",
    "Status", "SLA clocks", "Timeline", "Response", "Resolution", "New change", "Save draft",
    "Planned window", "SLA report", "Response met", "Times are shown in", "Preferences",
]  # fmt: skip
NATIVE = {
    "ko": ["내 업무", "장애", "변경", "트리아지 대기열", "SLA 클록", "초안 저장", "응답 충족"],
    "ja": ["自分の作業", "インシデント", "変更", "トリアージキュー", "SLA クロック", "下書き保存",
           "応答達成"],
}  # fmt: skip


def english_left(text: str) -> list[str]:
    found = {label for label in ENGLISH_LABELS if re.search(rf"\b{label}\b", text)}
    found |= {w for w in WORD.findall(text) if w not in SAME_IN_EVERY_LANGUAGE}
    return sorted(found)


def visit_all(journey, pages: dict[str, str], language: str) -> None:
    page = journey.page
    seen = ""
    for name, url in pages.items():
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", language)
        text = page.evaluate(VISIBLE_TEXT)
        assert english_left(text) == [], f"{language} {url} shows English"
        seen += text
        journey.shot(f"{language} {name}")
    missing = [native for native in NATIVE[language] if native not in seen]
    assert missing == [], f"{language}: not seen on any page"


def test_main_pages_in_korean_and_japanese(journey):
    world = make_world()
    oncall = world.user("oncall")
    oncall.language = "ko"  # notifications are written in their reader's language
    oncall.save()
    with translation.override("ko"):  # escalation steps record their target's label
        incident = report(world, priority="P1", title="Disk full")
    incident_services.incident_acknowledge(incident_id=incident.pk, actor=oncall, source=SYSTEM)
    change = change_in_state(
        "scheduled", title="Upgrade the driver", owner_team=world.team,
        requester=world.user("requester"), implementer=world.user("developer"),
        # what people write stays in their words: Korean here, so no English is expected
        description="드라이버 교체", execution_plan="노드별 교체", rollback_plan="이전 버전 설치",
        backup_plan="볼륨 스냅샷",
    )  # fmt: skip
    Change.objects.filter(pk=change.pk).update(backup_confirmed_by=change.implementer)
    facts.rebuild()
    today = timezone.localdate().replace(day=1)
    pages = {
        "my work": "/",
        "triage queue": "/incidents/queue/",
        "incident": incident.get_absolute_url(),
        "changes": "/changes/",
        "change": change.get_absolute_url(),
        "new change": "/changes/new/",
        # Three months: the p90 columns stay (their note for longer periods is new, its
        # translation still to come).
        "sla report": f"/reports/sla/?from={add_months(today, -2):%Y-%m}&to={today:%Y-%m}",
    }
    page = journey.page
    journey.login(world.user("ops_manager"))

    # Korean from the navbar's language switcher (it submits on change).
    page.locator("nav select[name=language]").select_option("ko")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    visit_all(journey, pages, "ko")

    # Japanese from Preferences, in the user menu.
    page.locator("nav .dropdown-toggle").click()
    page.locator("nav .dropdown-menu").get_by_role("link", name="환경 설정").click()
    page.locator("#id_language").select_option("ja")
    page.locator("form [type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator(".alert-success")).to_be_visible()
    journey.shot("ja preferences saved")
    visit_all(journey, pages, "ja")
