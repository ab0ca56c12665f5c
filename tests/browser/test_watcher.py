"""The watcher every journey relies on really notices what it is there to notice."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
JOURNEY = "watcher"

INLINE_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.ran = true";
  document.body.appendChild(script);
}"""


def test_console_errors_csp_violations_and_5xx_are_reported(journey):
    page = journey.page
    page.goto("/login/")
    journey.shot("login page")  # a clean page: no problem so far
    assert journey.problems == []

    # Each event is awaited, so the assertions below never race the browser.
    with page.expect_console_message(lambda message: "boom" in message.text):
        page.evaluate("() => console.error('boom')")
    with page.expect_console_message(lambda message: "CSP violation" in message.text):
        page.evaluate(INLINE_SCRIPT)  # script-src 'self' refuses it
    page.route("**/broken", lambda route: route.fulfill(status=502, body="bad gateway"))
    with page.expect_response("**/broken"):
        page.evaluate("() => fetch('/broken')")
    assert page.evaluate("() => window.ran") is None

    reported = "\n".join(journey.problems)
    assert "boom" in reported
    assert "CSP violation: script-src" in reported
    assert "HTTP 502 from" in reported
    with pytest.raises(pytest.fail.Exception, match="the browser reported"):
        journey.check()
    journey.problems.clear()
