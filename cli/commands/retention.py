"""`lfr retention sweep [--as-of ISO] [--dry-run] [--json]` and `lfr retention report [--json]`.

`sweep --dry-run` lists what would be ended and erased and changes nothing. `--as-of` moves the
sweep's clock (for testing retention): refused in production, and a time in the future (which
would erase data before its deadline) only with LFR_ENV=development set explicitly.

`report` exits with status 1 when any item is overdue (its legal deadline has passed and it is
not erased): a breach of the retention rules, raised as an ALARM, so a scheduler or monitor can
alert on the exit status alone. Status 0 otherwise; 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from runtime.bootstrap import open_services
from runtime.settings import Settings
from services.errors import UserError
from services.retention import Item, ItemStatus, RetentionView, prove_erasures, retention_view
from services.sweeper import plan
from services.sweeper import sweep as run_sweep

SHOWN = 20


def sweep(args: argparse.Namespace, settings: Settings) -> int:
    """Erase what is due now (or as of `--as-of`, in development only)."""
    as_of = _as_of(args.as_of, settings) if args.as_of else None
    services = open_services(settings)
    if args.dry_run:
        return _dry_run(services, as_of, args.json)
    result = run_sweep(services, as_of)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(
            f"retention sweep as of {result.as_of.isoformat()}: {len(result.erased)} erased, "
            f"{result.already_done} already done, {len(result.refused)} refused, "
            f"{len(result.watchlists_closed)} watchlists closed, "
            f"{len(result.deployments_ended)} deployments ended, "
            f"{result.keys_repaired} keys repaired, {result.keys_purged} keys purged"
        )
        for item_id, reason in result.refused.items():
            print(f"  refused {item_id}: {reason}")
    return 0


def _dry_run(services: Any, as_of: datetime | None, as_json: bool) -> int:
    would = plan(services, as_of)
    if as_json:
        print(json.dumps(would.to_json()))
        return 0
    print(
        f"retention sweep as of {would.as_of.isoformat()} (dry run, nothing changed): "
        f"{len(would.due)} would be erased, {len(would.deployments_to_end)} deployments ended"
    )
    for deployment_id, ending in would.deployments_to_end.items():
        print(f"  would end deployment {deployment_id}: {ending}")
    for item in would.due[:SHOWN]:
        print(f"  would erase {item.kind} {item.item_id} under {item.rule}")
    if len(would.due) > SHOWN:
        print(f"  ... and {len(would.due) - SHOWN} more (--json lists all)")
    return 0


def _as_of(text: str, settings: Settings) -> datetime:
    if settings.is_production:
        raise UserError("--as-of is for testing and is refused in production")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--as-of {text!r} is not an ISO 8601 time") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    # A future time erases data before its deadline: only where someone said, in so many
    # words, that this is a development installation (not merely by the default).
    if moment > datetime.now(UTC) and "env" not in settings.model_fields_set:
        raise UserError(
            "--as-of in the future erases data early: set LFR_ENV=development to allow it"
        )
    return moment


def report(args: argparse.Namespace, settings: Settings) -> int:
    """What is live, due, overdue, held and erased, with the ledger proof of each erasure."""
    services = open_services(settings)
    view = retention_view(services.lfr, services.retention_rules, datetime.now(UTC))
    proofs = prove_erasures(services.ledger, view.by_status("erased"))
    tampered = bool(view.integrity.get("rebuilt_from_events"))
    if args.json:
        document = view.to_json()
        for item in document["items"]:
            item["erasure_proof"] = proofs.get(item["item_id"])
        document["alarm"] = bool(view.by_status("overdue")) or tampered
        print(json.dumps(document))
    else:
        print(render(view, proofs))
    return 1 if view.by_status("overdue") or tampered else 0


def render(view: RetentionView, proofs: dict[str, Any]) -> str:
    counts = view.counts()
    lines = []
    overdue = view.by_status("overdue")
    if overdue:
        bar = "!" * 78
        lines += [
            bar,
            f"!! ALARM: {len(overdue)} item(s) OVERDUE: kept past their legal deadline",
            "!! Run `lfr retention sweep` now and report the breach to the DPO.",
            bar,
        ]
        lines += [f"!! {_line(item, view.as_of)}" for item in overdue]
        lines += [bar, ""]
    if view.integrity.get("rebuilt_from_events"):  # someone edited the retention tables
        lines += [
            f"!! ALARM: the retention tables did not match the events "
            f"({view.integrity['reason']}); rebuilt from the events before this report",
            "",
        ]
    lines.append(f"Retention report as of {view.as_of.isoformat()}")
    lines.append(
        f"  rules: {view.rules.alert_rule}; {view.rules.watchlist_rule}; "
        f"erased {view.rules.margin} before the deadline"
    )
    lines.append("  " + ", ".join(f"{status}: {n}" for status, n in counts.items()))
    lines.append(
        f"  non-matching faces: {view.faces_seen} faces seen, none stored; only the "
        f"{view.alerts_raised} alert probe crops were kept, encrypted"
    )
    for status in (ItemStatus.DUE, ItemStatus.HELD, ItemStatus.LIVE):
        lines += _section(view, status, lambda item: _line(item, view.as_of))
    lines += _section(
        view, ItemStatus.ERASED, lambda item: _erased_line(item, proofs.get(item.item_id))
    )
    return "\n".join(lines)


def _section(view: RetentionView, status: str, describe: Any) -> list[str]:
    items = view.by_status(status)
    if not items:
        return []
    lines = [f"{status.upper()} ({len(items)})"] + [f"  {describe(i)}" for i in items[-SHOWN:]]
    if len(items) > SHOWN:
        lines.append(f"  ... and {len(items) - SHOWN} more (--json lists all)")
    return lines


def _line(item: Item, now: datetime) -> str:
    deadline = item.deadline.isoformat() if item.deadline else "none yet"
    text = (
        f"{item.kind} {item.item_id} ({', '.join(item.data)}) rule {item.rule} deadline {deadline}"
    )
    if item.deadline and now >= item.deadline:
        text += f" OVERDUE by {now - item.deadline}"
    if item.hold:
        text += (
            f" HELD for {item.hold['basis']} (requested by {item.hold['requested_by']}, "
            f"approved by {item.hold['approved_by'] or 'NOBODY YET'}, "
            f"review {item.hold['review_on']}{' DUE' if item.hold['review_due'] else ''})"
        )
    return text


def _erased_line(item: Item, proof: dict[str, Any] | None) -> str:
    erasure = item.erasure
    text = (
        f"{item.kind} {item.item_id} erased {erasure['at']} by {erasure['by']} under "
        f"{erasure['rule']}, event #{erasure['notification_id']}"
    )
    if proof and proof.get("verified"):
        checkpoint = proof["checkpoint"]
        return text + f": proved in checkpoint of {checkpoint.get('tree_size')} entries"
    return text + f": NOT PROVED ({(proof or {}).get('error', 'no ledger')})"
