"""The cancellation report over HTTP: Gold submits it with the figures as they stand; the
report's readers open it as HTML or PDF, any version of it; others are refused."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient

from tests.api.process import Deployment

REPORT = {
    "evaluation": "Objectives met: one wanted person arrested.",
    "learning": "More signage at the exits.",
    "algorithm_assurance": "Threshold 0.64 throughout, as authorised.",
}


def test_the_submitted_report_is_served_as_html_and_pdf_in_every_version(
    client: TestClient, headers: dict[str, dict[str, str]], watchlist_upload: bytes
) -> None:
    from pypdf import PdfReader

    d = Deployment(client, headers).granted()
    d.prepared(watchlist_upload)
    d.live()
    d.match(0)
    path = f"{d.deployment_path()}/cancellation-report"
    d.call("gold", "POST", f"{d.deployment_path()}/end", json={"reason": "planned end"})
    refused = client.get(path, headers=headers["auditor"])
    assert refused.status_code == 404 and "no cancellation report" in refused.json()["detail"]
    d.call("gold", "POST", path, json=REPORT)
    d.call("gold", "POST", f"{path}/amendment", json={**REPORT, "notes": "n", "reason": "notes"})

    for role in ("gold", "authorising_officer", "auditor", "dpo"):
        page = client.get(path, headers=headers[role])
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert REPORT["learning"] in page.text and "Version 2 of 2" in page.text
    first = client.get(f"{path}?version=1", headers=headers["auditor"])
    assert "Version 1 of 2" in first.text and "Alerts not adjudicated" in first.text
    pdf = client.get(f"{path}.pdf?version=1", headers=headers["auditor"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert REPORT["algorithm_assurance"] in " ".join(text.split())

    missing = client.get(f"{path}.pdf?version=3", headers=headers["auditor"])
    assert missing.status_code == 404 and "no version 3" in missing.json()["detail"]
    assert client.get(f"{path}?version=0", headers=headers["auditor"]).status_code == 422
    for role in ("operator", "engagement_officer", "applicant"):
        assert client.get(f"{path}.pdf", headers=headers[role]).status_code == 403
    assert client.get(f"{path}.pdf").status_code == 401
