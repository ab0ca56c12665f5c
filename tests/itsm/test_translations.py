"""Korean and Japanese catalogues are complete: no untranslated or fuzzy message ships."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import _skip_or_fail

LOCALE = Path(__file__).resolve().parents[2] / "locale"


@pytest.mark.parametrize("language", ["ko", "ja"])
def test_catalogue_is_complete_and_valid(language):
    if shutil.which("msgfmt") is None:
        _skip_or_fail("needs gettext's msgfmt")
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    assert (po.with_suffix(".mo")).exists()
