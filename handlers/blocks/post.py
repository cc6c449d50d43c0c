"""The modal for posting a job on behalf of an approved employer."""

from __future__ import annotations

from typing import Any

from handlers import ids
from handlers.blocks.common import MAX_OPTIONS, MODAL_TITLE, Block, option, plain_text, section


def _input(
    ids_pair: tuple[str, str],
    label: str,
    *,
    multiline: bool = False,
    optional: bool = False,
    hint: str | None = None,
    limit: int = 3000,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": ids_pair[0],
        "label": plain_text(label, 2000),
        "optional": optional,
        "element": {
            "type": "plain_text_input",
            "action_id": ids_pair[1],
            "multiline": multiline,
            "max_length": limit,
        },
    }
    if hint:
        block["hint"] = plain_text(hint, 2000)
    return block


def post_modal(
    employers: list[tuple[int, str, str]], *, preselected: int | None = None
) -> dict[str, Any]:
    options = [option(name, str(employer_id)) for employer_id, _, name in employers[:MAX_OPTIONS]]
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ids.POST_EMPLOYER[1],
        "options": options,
        "placeholder": plain_text("Type to find the employer", 150),
    }
    chosen = [o for o in options if o["value"] == str(preselected)]
    if chosen:
        select["initial_option"] = chosen[0]
    blocks: list[Block] = [
        section(
            "Post a job for an approved employer. It is approved at once, recorded with you as the"
            " poster, and sent to the platform."
        ),
        {
            "type": "input",
            "block_id": ids.POST_EMPLOYER[0],
            "label": plain_text("Employer", 2000),
            "element": select,
        },
        _input(ids.POST_TITLE, "Title", limit=150),
        _input(ids.POST_DESCRIPTION, "Description", multiline=True),
        _input(ids.POST_LOCATION, "Location", optional=True, limit=200),
        _input(
            ids.POST_PAY,
            "Pay",
            optional=True,
            hint="e.g. 25-30 per hour, 55000 per year",
            limit=100,
        ),
        _input(ids.POST_APPLY_URL, "Apply URL", optional=True, limit=2000),
    ]
    return {
        "type": "modal",
        "callback_id": ids.POST_MODAL,
        "title": plain_text("Post a job", MODAL_TITLE),
        "submit": plain_text("Post", MODAL_TITLE),
        "close": plain_text("Cancel", MODAL_TITLE),
        "blocks": blocks,
    }
