"""`serviceops-bot check --try-upload`: the undocumented upload endpoint, tried on a tiny file."""

from __future__ import annotations

import io

from bot.check import report, run_checks
from tests.e2e.harness import make_settings
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack


async def test_upload_that_works_shows_the_reference(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    results = await run_checks(make_settings(slack, desk), try_upload=True)

    out = io.StringIO()
    assert report(results, out), out.getvalue()
    [line] = [r for r in results if r.what.startswith("ServiceOps upload")]
    [upload] = desk.uploads.values()
    assert line.what.endswith(f"works: refFileName {upload.ref}")
    assert upload.filename == "serviceops-bot-check.txt"
    assert upload.size > 0


async def test_a_wrong_upload_path_is_a_cross_with_the_settings_to_change(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    settings = make_settings(slack, desk, serviceops_upload_path="/api/v1/nowhere")
    results = await run_checks(settings, try_upload=True)

    out = io.StringIO()
    assert not report(results, out)
    [line] = [r for r in results if not r.ok]
    assert line.what == "ServiceOps upload (/api/v1/nowhere, field 'file'): HTTP 404"
    assert "SERVICEOPS_UPLOAD_PATH and SERVICEOPS_UPLOAD_FIELD" in line.fix
    assert desk.uploads == {}


async def test_without_the_flag_nothing_is_uploaded(slack: FakeSlack, desk: FakeServiceOps) -> None:
    results = await run_checks(make_settings(slack, desk))

    assert all(not r.what.startswith("ServiceOps upload") for r in results)
    assert desk.uploads == {}
