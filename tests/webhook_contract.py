"""SPEC 6's outbound contract, checked on every webhook a test's platform accepted."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# SPEC 6's list; an employer can be put on hold too, so its reminder is sent as
# employer.hold_reminder (a choice noted where the spec lists only the job's)
TYPES = re.compile(
    r"(employer|job)\.(approved|declined|on_hold|hold_reminder|decision_reverted)"
    r"|job\.posted_on_behalf|report\.filed"
)
CORE = {
    "id": str,
    "outcome": str,
    "reasons": list,
    "message": str,
    "decided_by": str,
    "decided_at": str,
    "via": str,
}
# SPEC 2: "via what (button, bulk, command, auto, api)"
VIA = frozenset({"button", "bulk", "command", "auto", "api"})


def contract_problems(events: Iterable[dict[str, Any]]) -> list[str]:
    """What is wrong with these events: an unlisted type, a core field missing or of the
    wrong type, a `via` SPEC 2 does not list, reasons without code and label, an employer approval without roles, or a
    field named like the internal note (the note's text itself is checked where a test
    writes one: test_decline_sends_reasons_and_message_but_never_the_internal_note)."""
    found = []
    for event in events:
        kind, data = str(event.get("type")), event.get("data") or {}
        if not TYPES.fullmatch(kind):
            found.append(f"unlisted type {kind}")
        for field, wanted in CORE.items():
            if not isinstance(data.get(field), wanted):
                found.append(f"{kind}: data.{field} is {data.get(field)!r}")
        if isinstance(data.get("via"), str) and data["via"] not in VIA:
            found.append(f"{kind}: data.via is {data['via']!r}, not one of SPEC 2's")
        for reason in data.get("reasons") or []:
            if not (isinstance(reason, dict) and {"code", "label"} <= set(reason)):
                found.append(f"{kind}: a reason without code and label: {reason!r}")
        if kind == "employer.approved" and not isinstance(data.get("roles"), list):
            found.append("employer.approved without roles")
        if re.search(r'"(note|internal_note)"', repr(event).replace("'", '"')):
            found.append(f"{kind}: carries a note field")
    return found
