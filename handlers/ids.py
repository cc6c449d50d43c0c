"""Every action id, callback id and block id jobgate's surfaces use, in one place."""

from __future__ import annotations

# Review card buttons (labels are contract: Approve / Decline / Hold).
APPROVE = "jobgate_approve"
DECLINE = "jobgate_decline"
HOLD = "jobgate_hold"
UNDO = "jobgate_undo"
CARD_MENU = "jobgate_card_menu"
EMPLOYER_MENU_ACTION = "jobgate_employer_menu"

# Overflow options: values are "<verb>:<request id>". Listed in menu order; a verb appears on
# the card once its handler exists (handlers/menus.py dispatches on the verb).
VERB_FLAG = "flag"
VERB_TRUST = "trust"
VERB_UNTRUST = "untrust"
VERB_LABEL = "label"
VERB_HISTORY = "history"
VERB_ASSIGN = "assign"
VERB_EMPLOYER_HISTORY = "employer_history"
REQUEST_MENU: list[tuple[str, str]] = [
    (VERB_ASSIGN, "Assign to me"),
    (VERB_FLAG, "Flag as suspicious"),
    ("report", "Report to trust & safety"),
    (VERB_HISTORY, "History"),
]
EMPLOYER_MENU: list[tuple[str, str]] = [
    (VERB_TRUST, "Trust employer"),
    (VERB_UNTRUST, "Stop trusting employer"),
    (VERB_EMPLOYER_HISTORY, "Employer history"),
    (VERB_LABEL, "Add label"),
]
FLAG_MODAL = "jobgate_flag_modal"
FLAG_REASON = ("flag_reason", "flag_reason_input")

# Modals.
DECLINE_MODAL = "jobgate_decline_modal"
HOLD_MODAL = "jobgate_hold_modal"
APPROVE_BOTH_MODAL = "jobgate_approve_both_modal"

# Modal inputs: (block_id, action_id).
REASONS = ("reasons", "reasons_input")
EMPLOYER_MESSAGE = ("employer_message", "employer_message_input")
INTERNAL_NOTE = ("internal_note", "internal_note_input")
HOLD_TEMPLATE = ("hold_template", "hold_template_input")
HOLD_QUESTION = ("hold_question", "hold_question_input")
FOLLOW_UP_DAYS = ("follow_up_days", "follow_up_days_input")

# The first block of every message the outbox posts carries this prefix plus the outbox
# message id, so a post whose answer was lost can be found again instead of posted twice.
OUTBOX_MARKER_PREFIX = "jg."


def outbox_marker(message_id: str) -> str:
    return f"{OUTBOX_MARKER_PREFIX}{message_id}"


# Labels (employer and contact), from the employer menu and /jobgate label.
LABEL_MODAL = "jobgate_label_modal"
EMPLOYER_LABELS = ("employer_labels", "employer_labels_input")
CONTACT_LABELS = ("contact_labels", "contact_labels_input")

# Decline reasons edited by admins.
REASON_EDIT_MODAL = "jobgate_reason_edit_modal"
REASON_LABEL = ("reason_label", "reason_label_input")
REASON_MESSAGE = ("reason_message", "reason_message_input")

# Bulk actions.
BULK_MODAL = "jobgate_bulk_modal"
BULK_REASONS = ("bulk_reasons", "bulk_reasons_input")
BULK_MESSAGE = ("bulk_message", "bulk_message_input")

# The digest.
OPEN_QUEUE = "jobgate_open_queue"

# Reports to trust & safety.
VERB_REPORT = "report"
REPORT_MODAL = "jobgate_report_modal"
REPORT_SHORTCUT = "jobgate_report_message"  # manifest.yml: message shortcut callback_id
REPORT_CATEGORY = ("report_category", "report_category_input")
REPORT_DETAILS = ("report_details", "report_details_input")
WAVE_DECLINE = "jobgate_wave_decline"
REPORT_CATEGORIES: list[tuple[str, str]] = [
    ("fraud", "Fraud or scam"),
    ("abuse", "Harassment or abuse"),
    ("discrimination", "Discrimination"),
    ("misleading", "Misleading posting"),
    ("other", "Something else"),
]

# Posting a job on behalf of an employer.
POST_MODAL = "jobgate_post_modal"
POST_EMPLOYER = ("post_employer", "post_employer_input")
POST_TITLE = ("post_title", "post_title_input")
POST_DESCRIPTION = ("post_description", "post_description_input")
POST_LOCATION = ("post_location", "post_location_input")
POST_PAY = ("post_pay", "post_pay_input")
POST_APPLY_URL = ("post_apply_url", "post_apply_url_input")
