"""Production static files: collectstatic with the production storage succeeds.

The Docker image runs it at build time (DEBUG=false); a vendored file that references a
file that is not shipped (a source map) makes the manifest storage refuse the whole run.
"""

from django.core.management import call_command
from django.test import override_settings

from itsm import settings as production


def test_collectstatic_with_the_production_storage(tmp_path):
    storages = {
        **production.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("vendor/chartjs/chart.umd.min.*.js"))
