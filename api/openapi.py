"""The OpenAPI document, fit for client generators: short stable operation ids, an example
on every request body, binary answers declared with their media types, one error body.

Operation ids are the route functions' names, renamed here where the name alone does not
say what the operation does (`grant` -> `grant_authority`); changing one breaks generated
clients, so they are listed, not derived from paths.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

OPERATION_IDS = {
    "identify_need": "create_application",
    "intelligence_case": "submit_intelligence_case",
    "submit": "submit_application",
    "reject": "reject_application",
    "grant": "grant_authority",
    "grant_urgent": "grant_urgent_authority",
    "confirm_urgent": "confirm_urgent_authority",
    "withdraw": "withdraw_application",
    "revoke": "revoke_authority",
    "change_size": "change_watchlist_size",
    "record_check": "record_pre_deployment_check",
    "start": "start_deployment",
    "cancel": "cancel_deployment",
    "pause": "pause_deployment",
    "resume": "resume_deployment",
    "end": "end_deployment",
    "submit_report": "submit_cancellation_report",
    "read_report": "read_cancellation_report",
    "amend_report": "amend_cancellation_report",
    "publish": "publish_register_entry",
    "upload": "upload_watchlist",
    "upload_progress": "read_upload",
    "review": "review_watchlist",
    "queue": "list_alerts",
    "adjudicate": "adjudicate_alert",
    "engagement": "record_engagement",
    "outcome": "record_outcome",
    "consultations": "list_consultations",
    "retention": "read_retention",
    "erasure_proof": "read_erasure_proof",
    "record_review": "record_equality_review",
    "review_status": "read_equality_status",
    "timeline": "read_timeline",
    "as_of": "read_aggregate",
    "checkpoints": "list_checkpoints",
    "inclusion": "prove_inclusion",
    "consistency": "prove_consistency",
    "verification": "verify_ledger",
    "export": "export_ledger",
    "projection_failures": "list_projection_failures",
    "register": "read_register",
    "register_row": "read_register_row",
    "register_csv": "read_register_csv",
    "register_parquet": "read_register_parquet",
    "metrics": "read_metrics",
    "latest_checkpoint": "read_public_checkpoint",
    "checkpoint": "read_checkpoint_note",
    "vkey": "read_log_vkey",
    "entries": "read_entries_tile",
    "tile": "read_tile",
    "me": "read_me",
    "applications": "list_applications",
    "deployments": "list_deployments",
    "watchlist": "list_watchlist_entries",
    "read_report_pdf": "read_cancellation_report_pdf",
}


def operation_id(route: APIRoute) -> str:
    """The route's operation id: its function's name, or the clearer one listed above."""
    return OPERATION_IDS.get(route.name, route.name)


_ID = "3f2c1a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
_WHEN = "2026-05-01T09:00:00+00:00"
_UNTIL = "2026-05-01T17:00:00+00:00"
_IMAGE = base64.b64encode(b"the image file's bytes").decode()  # a JPEG or PNG, base64
_LOCATION = {
    "name": "Oxford Circus",
    "borough": "Westminster",
    "latitude": 51.5152,
    "longitude": -0.1418,
}
_DECISION = {"outcome": "approve", "rationale": "Necessary and proportionate for this aim."}
_AUTHORITY = {
    "decisions": {
        area: _DECISION
        for area in (
            "i_document_compliance",
            "ii_legitimate_aim",
            "iii_human_rights_necessity",
            "iv_data_protection_necessity",
            "v_proportionality",
            "vi_watchlist_composition",
            "vii_location_and_times",
        )
    },
    "document_versions": {"policy": "2024.1", "sop": "2024.1", "legal_mandate": "2024.1"},
    "gold_id": "ci-gold",
}
_REPORT = {
    "evaluation": "Deployed as planned; two true alerts, one engagement.",
    "learning": "More signage at the eastern entrance.",
}

# One example per request body model, each a body the model accepts (tests check it).
EXAMPLES: dict[str, dict[str, Any]] = {
    "NeedIn": {"objective": "Reduce knife crime in the West End", "use_case": "Crime Hotspot"},
    "IntelligenceCaseIn": {"reference": "F3-2026-114", "summary": "Robbery hotspot since March"},
    "SubmissionIn": {
        "sections": {
            section: f"Section {section} completed."
            for section in (
                "1_location_and_times",
                "2_legal_basis_and_aim",
                "3_echr_and_schedule_8",
                "4_necessity",
                "5_proportionality",
                "6_watchlist_composition",
                "7_sensitive_watchlist",
                "8_compliance_and_assessments",
            )
        },
        "proposal": {
            "location": _LOCATION,
            "starts_at": _WHEN,
            "ends_at": _UNTIL,
            "use_case": "Crime Hotspot",
            "watchlist_categories": ["wanted_by_courts", "suspect"],
            "watchlist_max_size": 500,
            "threshold": 0.64,
            "cameras": ["camera-1"],
        },
        "authorising_officer_id": "supt-ao",
    },
    "NotesIn": {"notes": "Checked entry by entry against the proposal."},
    "ReasonsIn": {"reasons": "The proposal does not show why a smaller watchlist would not do."},
    "AuthorityIn": _AUTHORITY,
    "UrgentAuthorityIn": {**_AUTHORITY, "urgency": "A credible threat to life at the event."},
    "RationaleIn": {"rationale": "The AO confirms the urgent authority after review."},
    "ThresholdIn": {"threshold": 0.66, "rationale": "Fewer false alerts in crowded conditions."},
    "WatchlistSizeIn": {"max_size": 400, "rationale": "The intelligence case supports fewer."},
    "CommandIn": {"members": {"operators": ["pc-operator"], "engagement": ["pc-engager"]}},
    "CheckIn": {"check": "signage", "detail": "Signs placed at every entrance."},
    "StartIn": {"cameras": ["camera-1"]},
    "ReasonIn": {"reason": "Planned end of the deployment."},
    "CancellationReportIn": _REPORT,
    "CancellationReportAmendmentIn": {**_REPORT, "reason": "An arrest recorded afterwards."},
    "EntryIn": {
        "reference": "WL-00042",
        "category": "wanted_by_courts",
        "source": "Police National Computer record",
        "legal_basis": "Police and Criminal Evidence Act 1984, Code D",
        "image_date": "2025-03-01",
        "image_base64": _IMAGE,
    },
    "CompileIn": {"entry_ids": [_ID]},
    "MediumIn": {"medium": "encrypted USB 77"},
    "JustificationIn": {"justification": "Checking the match before deciding."},
    "MatchIn": {
        "event_id": "m-camera-1-t1-0",
        "deployment_id": _ID,
        "camera_id": "camera-1",
        "observed_at": _WHEN,
        "entry_id": _ID,
        "score": 0.91,
        "model_id": "dlib-resnet-v1",
        "model_version": "1",
        "watchlist_version": "22f6ed84190217dcbd445584595cf7ea203cf50c8c25e8ae9de7efbf0d487d8f",
        "track_id": "t1",
        "probe_jpeg_base64": _IMAGE,
    },
    "FacesSeenIn": {
        "camera_id": "camera-1",
        "interval_start": "2026-05-01T09:00:00+00:00",
        "interval_end": "2026-05-01T09:01:00+00:00",
        "faces_seen": 120,
        "faces_passed_quality": 95,
    },
    "AdjudicationIn": {"decision": "engage", "notes": "Same person: scar above left eye."},
    "AdjudicationCorrectionIn": {"decision": "false_alert", "reason": "Second look: not him."},
    "EngagementIn": {
        "outcome": "confirmed_true",
        "duration_s": 240,
        "told_why": True,
        "leaflet_given": True,
    },
    "OutcomeIn": {"disposal": "arrest", "reason": "Wanted on a court warrant."},
    "LegalHoldIn": {
        "basis": "proceedings",
        "reason": "Evidence in a trial listed for June.",
        "review_on": "2026-06-30",
    },
    "HoldRenewalIn": {"reason": "The trial was adjourned.", "review_on": "2026-09-30"},
    "ErasureIn": {"rule": "dpo-request"},
    "EqualityReviewIn": {
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "findings": "No disparity beyond the confidence intervals.",
        "actions": "Keep the threshold at 0.64.",
    },
}
# A multipart body's example names its parts; the file part holds a zip's bytes.
_UPLOAD_EXAMPLE = {"files": ["(the bytes of watchlist.zip)"]}

_BINARY = {"type": "string", "format": "binary"}
_TEXT = {"type": "string"}


def _answer_schema(media_type: str) -> dict[str, Any] | None:
    """The schema of a non-JSON answer: text for text/*, bytes for everything else."""
    if media_type == "application/json" or media_type.endswith("+json"):
        return None
    return dict(_TEXT) if media_type.startswith("text/") else dict(_BINARY)


def _declare_media(document: dict[str, Any]) -> None:
    for operation in _operations(document):
        for answer in operation.get("responses", {}).values():
            for media_type, content in answer.get("content", {}).items():
                schema = _answer_schema(media_type)
                if schema is not None and content.get("schema", {}).get("format") != "binary":
                    content["schema"] = schema


def _declare_uploads(value: Any) -> None:
    """An uploaded file (OpenAPI 3.1's `contentMediaType`) also as `format: binary`, the
    form generators read as a file rather than text."""
    if isinstance(value, dict):
        if value.get("type") == "string" and "contentMediaType" in value:
            value["format"] = "binary"
        for item in value.values():
            _declare_uploads(item)
    elif isinstance(value, list):
        for item in value:
            _declare_uploads(item)


def _add_examples(document: dict[str, Any]) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    for operation in _operations(document):
        body = operation.get("requestBody", {}).get("content", {})
        for media_type, content in body.items():
            name = content.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
            example = EXAMPLES.get(name)
            if example is None and media_type == "multipart/form-data":
                example = _UPLOAD_EXAMPLE
            if example is not None:
                content["example"] = example
                if name in schemas:
                    schemas[name]["examples"] = [example]


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in document.get("paths", {}).values() for op in path.values()]


def install(app: FastAPI) -> None:
    """Builds `app`'s OpenAPI document once, with the additions above."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _declare_media(document)
            _declare_uploads(document.get("components", {}))
            _add_examples(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
