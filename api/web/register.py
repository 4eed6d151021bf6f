"""The public register for people: every deployment from its public notice, with its results
once published; searched, filtered, sorted and paged on the server (no script needed), with
charts and downloads that follow the same filters, and a page per deployment with its
figures, times, threshold history, a plain summary, a map and Verify.

Verify (in the browser) compares each figure shown in an element with `data-col` against the
signed public entry; figures are shown as signed (a status in words maps back one to one)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.register_proofs import key_fingerprint
from api.state import ApiState, api_state
from api.web import charts, maps
from api.web.pages import render
from domain.deployment import Deployment
from domain.values import UseCase
from projections.exports import register_bytes
from projections.metrics import metrics

router = APIRouter(prefix="/web", include_in_schema=False)
PAGE_SIZE = 50

# A status as signed, in words (Verify maps the words back, so they must stay one to one).
STATUS_WORDS = {
    "announced": "Planned",
    "published": "Results published",
    "amended": "Results corrected",
    "closed": "Did not go ahead",
}
# The table's columns: (column, heading, signed): a signed column shows the signed value and
# Verify checks it; the others are shown in words from signed values.
COLUMNS = (
    ("date", "Date", True), ("location", "Location", True), ("borough", "Borough", True),
    ("use_case", "Use case", True), ("status", "Status", True),
    ("faces_seen", "Faces seen", True), ("alerts", "Alerts", True),
    ("false_alerts", "False alerts", True), ("arrests", "Arrests", True),
    ("hours", "Time of day (UTC)", False), ("duration_minutes", "Duration", False),
    ("watchlist_size", "Watchlist size", True), ("threshold", "Threshold", True),
    ("ending", "How it ended", True), ("thresholds", "Thresholds in force (alerts at each)", True),
    ("unadjudicated", "Alerts not adjudicated", True),
)  # fmt: skip
SORTABLE = {c for c, _, _ in COLUMNS if c not in {"hours", "thresholds"}}
NUMERIC = {"faces_seen", "alerts", "false_alerts", "arrests", "duration_minutes",
           "watchlist_size", "threshold", "unadjudicated"}  # fmt: skip


@dataclass(frozen=True)
class RegisterQuery:
    """What the person asked for: search words, filters, order and page."""

    search: str = ""
    borough: str = ""
    use_case: str = ""
    status: str = ""
    since: date | None = None
    until: date | None = None
    sort: str = "date"
    descending: bool = True
    page: int = 1

    def matches(self, row: dict[str, Any]) -> bool:
        day = str(row["date"])
        words = self.search.lower()
        return (
            (not words or words in f"{row['location']} {row['borough']}".lower())
            and (not self.borough or row["borough"] == self.borough)
            and (not self.use_case or row["use_case"] == self.use_case)
            and (not self.status or row["status"] == self.status)
            and (self.since is None or day >= self.since.isoformat())
            and (self.until is None or day <= self.until.isoformat())
        )

    def ordered(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        present = [r for r in rows if r[self.sort] is not None]
        absent = [r for r in rows if r[self.sort] is None]  # no figure yet: always last
        present.sort(key=lambda r: (r[self.sort], r["date"]), reverse=self.descending)
        return present + absent

    def params(self, **changes: Any) -> str:
        """This query's URL parameters, with `changes` (a new filter goes back to page 1)."""
        q = replace(self, **changes)
        values = {
            "q": q.search, "borough": q.borough, "use_case": q.use_case, "status": q.status,
            "from": q.since.isoformat() if q.since else "",
            "to": q.until.isoformat() if q.until else "",
            "sort": q.sort if q.sort != "date" else "", "dir": "" if q.descending else "asc",
            "page": q.page if q.page > 1 else "",
        }  # fmt: skip
        return urlencode({k: v for k, v in values.items() if v})

    def sort_link(self, column: str) -> str:
        descending = not self.descending if column == self.sort else column in NUMERIC | {"date"}
        return self.params(sort=column, descending=descending, page=1)


def _day(name: str, text: str) -> date | None:
    """A date filter: empty (the form's blank field) is no filter."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(422, f"{name}: not a date (YYYY-MM-DD): {text!r}") from None


def register_query(
    q: str = Query("", max_length=200),
    borough: str = Query("", max_length=200),
    use_case: str = Query("", max_length=200),
    status: str = Query("", max_length=20),
    since_text: str = Query("", alias="from", max_length=10, description="YYYY-MM-DD"),
    until_text: str = Query("", alias="to", max_length=10, description="YYYY-MM-DD"),
    sort: str = Query("date", max_length=40),
    direction: str = Query("desc", alias="dir", pattern="^(asc|desc)$"),
    page: int = Query(1, ge=1, le=100_000),
) -> RegisterQuery:
    if sort not in SORTABLE:
        raise HTTPException(422, f"sort: one of {', '.join(sorted(SORTABLE))}, not {sort!r}")
    if status and status not in STATUS_WORDS:
        raise HTTPException(422, f"status: one of {', '.join(STATUS_WORDS)}, not {status!r}")
    return RegisterQuery(
        q.strip(), borough, use_case, status, _day("from", since_text), _day("to", until_text),
        sort, direction == "desc", page,
    )  # fmt: skip


def _time(text: str | None) -> str:
    return datetime.fromisoformat(text).strftime("%H:%M") if text else ""


def hours(row: dict[str, Any]) -> str:
    """The time of day it ran (or was planned to), in UTC."""
    start, end = row["started_at"] or row["starts_at"], row["ended_at"] or row["ends_at"]
    return f"{_time(start)} to {_time(end)}" if start and end else "–"


def duration(minutes: float | None) -> str:
    if minutes is None:
        return "–"
    whole = round(minutes)
    return f"{whole // 60} h {whole % 60:02d} min" if whole >= 60 else f"{whole} min"


def _charts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    published = [r for r in rows if r["faces_seen"] is not None]
    figures = metrics(published, [], "month")
    months = [charts.month_label(str(m["group"])) for m in figures]

    def rate(m: dict[str, Any], key: str, scale: float) -> float | None:
        return None if m[key] is None else m[key] * scale

    drawn: dict[str, Any] = {"metrics": figures}
    for name, size in (("wide", charts.WIDE), ("narrow", charts.NARROW)):
        drawn[name] = {
            "alerts": charts.stacked_bars(
                "Alerts per month, true and false",
                months,
                {
                    "true alerts": [m["true_alerts"] for m in figures],
                    "false alerts": [m["false_alerts"] for m in figures],
                },
                size,
                key="alerts",
                y_label="alerts",
            ),
            "rates": charts.lines(
                "False alerts as a share of alerts, per month",
                months,
                {"false alerts": [rate(m, "false_alert_rate_per_alerts", 100) for m in figures]},
                unit="%",
                size=size,
                key="rates",
                y_label="share of alerts",
            ),
            "per_faces": charts.lines(
                "False alerts per 1,000 faces seen, per month",
                months,
                {"per 1,000 faces": [rate(m, "false_alert_rate_per_faces", 1000) for m in figures]},
                size=size,
                key="faces",
                y_label="false alerts per 1,000 faces",
            ),
        }
    return drawn


def _context(api: ApiState, query: RegisterQuery) -> dict[str, Any]:

    everything = api.read_models(public=True).public_register_rows()
    matching = query.ordered([r for r in everything if query.matches(r)])
    pages = max(1, -(-len(matching) // PAGE_SIZE))
    page = min(query.page, pages)
    shown = matching[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return {
        "rows": shown,
        "matching": len(matching),
        "total": len(everything),
        "first": (page - 1) * PAGE_SIZE + 1 if shown else 0,
        "last": (page - 1) * PAGE_SIZE + len(shown),
        "page_number": page,
        "page_count": pages,
        "boroughs": sorted({str(r["borough"]) for r in everything}),
        "use_cases": [u.value for u in UseCase],
        "statuses": STATUS_WORDS,
        "query": query,
        "charts": _charts(matching),
        "fingerprint": key_fingerprint(api.ledger().log_key),
        "columns": COLUMNS,
        "hours": hours,
        "duration": duration,
    }


@router.get("/register", response_class=HTMLResponse)
def register(
    request: Request,
    query: RegisterQuery = Depends(register_query),
    api: ApiState = Depends(api_state),
) -> HTMLResponse:
    def build() -> bytes:
        context = _context(api, query)
        return bytes(
            render(
                request, "register.html", page="register", title="Live facial recognition: "
                "where the police have used it", **context,
            ).body
        )  # fmt: skip

    # Rendered once per change of the public register, like the register's JSON answers.
    key = f"page:{query.params()}"
    return HTMLResponse(api.rendered_public_answer(key) or api.public_answer(key, build))


@router.get("/register.{fmt}", response_class=Response)
def download(
    fmt: str,
    query: RegisterQuery = Depends(register_query),
    api: ApiState = Depends(api_state),
) -> Response:
    """The rows the page's filters select (every page of them), as CSV or Parquet."""
    media = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
    if fmt not in media:
        raise HTTPException(404, f"the register downloads as csv or parquet, not {fmt!r}")
    rows = api.read_models(public=True).public_register_rows()
    chosen = query.ordered([r for r in rows if query.matches(r)])
    return Response(
        register_bytes(chosen, fmt),
        media_type=media[fmt],
        headers={"Content-Disposition": f'attachment; filename="lfr-register.{fmt}"'},
    )


def summary(row: dict[str, Any]) -> str:
    """The deployment's results in one plain paragraph."""
    place = f"{row['location']} ({row['borough']})"
    if row["faces_seen"] is None:
        return (
            f"Live facial recognition is planned at {place} on {row['date']}, "
            f"{hours(row)} UTC. Its results are published here after it ends."
        )
    false = row["false_alerts"] or 0
    return (
        f"Live facial recognition ran at {place} on {row['date']} for "
        f"{duration(row['duration_minutes'])}. The cameras saw {row['faces_seen']:,} faces; "
        f"images of people not on the watchlist were deleted at once. The system raised "
        f"{row['alerts']} alert{'s' if row['alerts'] != 1 else ''}: {row['true_alerts']} of the "
        f"person sought and {false} false. Officers spoke to {row['engagements']} "
        f"{'person' if row['engagements'] == 1 else 'people'}, and {row['arrests']} "
        f"{'was' if row['arrests'] == 1 else 'were'} arrested."
    )


@router.get("/register/{deployment_id}", response_class=HTMLResponse)
def deployment_page(
    request: Request, deployment_id: UUID, api: ApiState = Depends(api_state)
) -> HTMLResponse:

    row = api.read_models(public=True).public_register_row(deployment_id)
    if row is None:
        return render(
            request, "not_found.html", status_code=404, page="register",
            title="No such deployment in the register",
        )  # fmt: skip
    deployment = api.lfr.load(Deployment, deployment_id)  # public facts: place, thresholds
    place = deployment.location or {}
    lat, lon = place.get("latitude"), place.get("longitude")
    point = maps.inside(lat, lon)
    drawn = maps.location_map(str(row["location"]), *point) if point else None
    return render(
        request, "register_deployment.html", page="register",
        title=f"{row['location']}, {row['date']}", row=row, summary=summary(row),
        thresholds=deployment.threshold_history, statuses=STATUS_WORDS, hours=hours(row),
        duration=duration(row["duration_minutes"]),
        map=drawn,
        fingerprint=key_fingerprint(api.ledger().log_key),
    )  # fmt: skip


@router.get("/about", response_class=HTMLResponse)
def about(request: Request) -> HTMLResponse:
    return render(request, "about.html", page="about", title="About this register")
