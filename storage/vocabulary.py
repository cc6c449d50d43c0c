"""SQL for the vocabularies admins curate: labels (on employers and contacts) and decline
reasons. Its async methods are mixed into the Repository."""

from __future__ import annotations

from storage.db import Database


class VocabularyRepository:
    db: Database
