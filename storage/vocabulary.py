"""The vocabularies admins curate: labels (on employers and contacts) and decline reasons.
Their async methods are mixed into the Repository; the SQL is in labels, contacts, reasons."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime

from bot.models import DeclineReason, Via
from storage import contacts, labels, reasons
from storage.contacts import Contact, OutreachRow
from storage.db import Database
from storage.labels import Label, LabelChange, LabelChoices, Owner


class VocabularyRepository:
    db: Database
    _outbox_written: Callable[[], None]

    # -- labels ----------------------------------------------------------------------------

    async def list_labels(self, include_retired: bool = False) -> list[Label]:
        return await self.db.read(lambda conn: labels.list_labels(conn, include_retired))

    async def find_label(self, name: str) -> Label | None:
        return await self.db.read(lambda conn: labels.find_label(conn, name))

    async def create_label(self, name: str, *, actor: str, via: Via, now: datetime) -> Label:
        return await self.db.write(
            lambda conn: labels.create_label(conn, name, actor=actor, via=via, now=now)
        )

    async def retire_label(self, name: str, *, actor: str, via: Via, now: datetime) -> Label:
        """Hidden from cards and choices; who carried it is kept (restore brings it back)."""
        return await self._set_label_retired(name, True, actor, via, now)

    async def restore_label(self, name: str, *, actor: str, via: Via, now: datetime) -> Label:
        return await self._set_label_retired(name, False, actor, via, now)

    async def _set_label_retired(
        self, name: str, retired: bool, actor: str, via: Via, now: datetime
    ) -> Label:
        label = await self.db.write(
            lambda conn: labels.set_label_retired(
                conn, name, retired=retired, actor=actor, via=via, now=now
            )
        )
        self._outbox_written()
        return label

    async def load_label_choices(self, request_id: int) -> LabelChoices | None:
        return await self.db.read(lambda conn: labels.load_label_choices(conn, request_id))

    async def set_employer_labels(
        self, employer_id: int, label_ids: Iterable[int], *, actor: str, via: Via, now: datetime
    ) -> LabelChange:
        """Exactly these active labels on the employer; each change audited, cards refreshed."""
        return await self._set_labels("employer", employer_id, label_ids, actor, via, now)

    async def set_contact_labels(
        self, contact_id: int, label_ids: Iterable[int], *, actor: str, via: Via, now: datetime
    ) -> LabelChange:
        return await self._set_labels("contact", contact_id, label_ids, actor, via, now)

    async def _set_labels(
        self,
        owner: Owner,
        owner_id: int,
        label_ids: Iterable[int],
        actor: str,
        via: Via,
        now: datetime,
    ) -> LabelChange:
        wanted = list(label_ids)
        change = await self.db.write(
            lambda conn: labels.set_owner_labels(
                conn, owner, owner_id, wanted, actor=actor, via=via, now=now
            )
        )
        self._outbox_written()
        return change

    async def set_request_labels(
        self,
        request_id: int,
        employer_id: int,
        employer_label_ids: Iterable[int],
        contact_id: int | None,
        contact_label_ids: Iterable[int],
        *,
        offered: Iterable[int],
        actor: str,
        via: Via,
        now: datetime,
    ) -> tuple[LabelChange, LabelChange]:
        """The label modal's answer: employer and contact labels in one transaction, changing
        only the `offered` labels; the card it was opened from shows them even when decided."""
        for_employer, for_contact = list(employer_label_ids), list(contact_label_ids)
        shown = list(offered)

        def unit(conn: sqlite3.Connection) -> tuple[LabelChange, LabelChange]:
            employer = labels.set_owner_labels(
                conn,
                "employer",
                employer_id,
                for_employer,
                actor=actor,
                via=via,
                now=now,
                offered=shown,
            )
            contact = LabelChange()
            if contact_id is not None:
                contact = labels.set_owner_labels(
                    conn,
                    "contact",
                    contact_id,
                    for_contact,
                    actor=actor,
                    via=via,
                    now=now,
                    offered=shown,
                )
            if employer.added or employer.removed or contact.added or contact.removed:
                labels.refresh_decided_card(conn, request_id, now)
            return employer, contact

        changes = await self.db.write(unit)
        self._outbox_written()
        return changes

    async def change_label(
        self,
        owner: Owner,
        owner_id: int,
        name: str,
        *,
        add: bool,
        actor: str,
        via: Via,
        now: datetime,
    ) -> LabelChange:
        """Add or remove one label by name (an unknown or retired one is refused)."""
        change = await self.db.write(
            lambda conn: labels.change_owner_label(
                conn, owner, owner_id, name, add=add, actor=actor, via=via, now=now
            )
        )
        self._outbox_written()
        return change

    async def find_contacts(self, query: str) -> list[Contact]:
        """By the platform's contact id or by email address."""
        return await self.db.read(lambda conn: contacts.find_contacts(conn, query))

    async def list_contacts_with_label(self, label_id: int) -> list[OutreachRow]:
        """Contacts with the label or whose employer has it (the outreach export)."""
        return await self.db.read_slow(
            lambda conn: contacts.list_contacts_with_label(conn, label_id)
        )

    # -- decline reasons -------------------------------------------------------------------

    async def get_decline_reason(self, code: str) -> DeclineReason | None:
        return await self.db.read(lambda conn: reasons.get_decline_reason(conn, code))

    async def edit_decline_reason(
        self, code: str, *, label: str, message: str, actor: str, via: Via, now: datetime
    ) -> DeclineReason:
        return await self.db.write(
            lambda conn: reasons.edit_decline_reason(
                conn, code, label=label, message=message, actor=actor, via=via, now=now
            )
        )

    async def add_decline_reason(
        self, code: str, *, label: str, message: str, actor: str, via: Via, now: datetime
    ) -> DeclineReason:
        return await self.db.write(
            lambda conn: reasons.add_decline_reason(
                conn, code, label=label, message=message, actor=actor, via=via, now=now
            )
        )

    async def set_decline_reason_retired(
        self, code: str, *, retired: bool, actor: str, via: Via, now: datetime
    ) -> DeclineReason:
        return await self.db.write(
            lambda conn: reasons.set_decline_reason_retired(
                conn, code, retired=retired, actor=actor, via=via, now=now
            )
        )
