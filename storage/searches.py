"""SQL for filters over requests, saved searches and bulk decisions. Its async methods are
mixed into the Repository."""

from __future__ import annotations

from storage.db import Database


class SearchRepository:
    db: Database
