"""The article store: create, read, list, update with revisions, restore and archive."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.audit import AuditLog
from kb.changes import changed_since
from kb.conflicts import refuse_stale_base
from kb.db import Database
from kb.errors import Conflict, NotFound
from kb.models import Article, ArticleTag, Change, Revision, utcnow
from kb.slugs import slugify
from kb.validation import EDITABLE_FIELDS, validate_article_fields
from kb.views import ArticleView, Page, RevisionView

ChangeListener = Callable[[list[int]], None]
Along = Callable[[Session], None]  # more writes for a save's own transaction
log = logging.getLogger(__name__)
MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32 bits in PostgreSQL


def valid_id(value: int) -> bool:
    """True for an integer every database can hold as a primary key."""
    return 0 < value <= MAX_ID


@dataclass(frozen=True)
class ArticleQuery:
    """Filters and paging for listing articles."""

    tag: str | None = None
    status: str | None = None
    languages: tuple[str, ...] = ()  # as the articles spell them: kb.validation.resolve_languages
    team: str | None = None
    owner: str | None = None
    page: int = 1
    per_page: int = 20


def _snapshot(article: Article) -> dict[str, Any]:
    return {
        "title": article.title, "body": article.body, "tags": [t.tag for t in article.tags],
        "status": article.status, "language": article.language, "owner": article.owner,
        "team": article.team, "review_by": article.review_by, "meta": dict(article.meta or {}),
    }


class ArticleStore:
    """Articles in the database; every save is a revision and a change-log entry."""

    def __init__(self, db: Database, *, max_body_bytes: int = 256 * 1024, review_interval_days: int = 180) -> None:
        self.db = db
        self.max_body_bytes, self.review_interval = max_body_bytes, timedelta(days=review_interval_days)
        self._listeners: list[ChangeListener] = []
        self._batch: list[int] | None = None
        self.audit = AuditLog(db)

    def on_change(self, listener: ChangeListener) -> None:
        """Call `listener(article_ids)` after every committed change."""
        self._listeners.append(listener)

    def _notify(self, article_ids: list[int]) -> None:
        if self._batch is not None:
            self._batch.extend(article_ids)
            return
        for listener in self._listeners:
            try:
                listener(article_ids)
            except Exception:  # the save is committed; the change log lets the indexes catch up later
                log.exception("change listener failed for articles %s", article_ids)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Hold change notifications until the block ends, then send them once (bulk imports)."""
        self._batch = []
        try:
            yield
        finally:
            ids, self._batch = sorted(set(self._batch)), None
            if ids:
                self._notify(ids)

    # -- reading -------------------------------------------------------------

    def _load(self, session: Session, ref: int | str) -> Article:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isascii() and ref.isdigit()):
            article = session.get(Article, int(ref)) if valid_id(int(ref)) else None
        else:
            article = session.scalar(select(Article).where(Article.slug == ref))
        if article is None:
            raise NotFound(f"no article {ref!r}")
        return article

    def get(self, ref: int | str) -> ArticleView:
        """The article with this id or slug."""
        with self.db.session() as session:
            return ArticleView.from_model(self._load(session, ref))

    def find_slug(self, slug: str) -> ArticleView | None:
        """The article with this slug, or None."""
        try:
            return self.get(slug) if not (slug.isascii() and slug.isdigit()) else None
        except NotFound:
            return None

    def list(self, query: ArticleQuery = ArticleQuery()) -> Page:
        """Articles matching the filters, newest change first."""
        stmt = select(Article)
        if query.tag:
            stmt = stmt.join(ArticleTag).where(ArticleTag.tag == query.tag)
        if query.languages:
            stmt = stmt.where(Article.language.in_(query.languages))
        for column, value in ((Article.status, query.status), (Article.team, query.team), (Article.owner, query.owner)):
            if value:
                stmt = stmt.where(column == value)
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = session.scalars(
                stmt.order_by(Article.updated_at.desc(), Article.id.desc())
                .limit(query.per_page).offset((query.page - 1) * query.per_page)
            ).all()
            items = tuple(ArticleView.from_model(a) for a in rows)
        return Page(items=items, total=total, page=query.page, per_page=query.per_page)

    def languages(self) -> list[str]:
        """Every article language in use (language filters are matched against these)."""
        with self.db.session() as session:
            return list(session.scalars(select(Article.language).distinct().order_by(Article.language)))

    def tags(self) -> list[str]:
        """Every tag in use, alphabetically (editor completion)."""
        with self.db.session() as session:
            return list(session.scalars(select(ArticleTag.tag).distinct().order_by(ArticleTag.tag)))

    def all_articles(self) -> list[ArticleView]:
        """Every article, by id (export and index builds)."""
        with self.db.session() as session:
            rows = session.scalars(select(Article).order_by(Article.id)).all()
            return [ArticleView.from_model(a) for a in rows]

    def articles_by_id(self, ids: list[int]) -> dict[int, ArticleView]:
        """The articles among `ids` that still exist."""
        with self.db.session() as session:
            rows = session.scalars(select(Article).where(Article.id.in_(ids))).all()
            return {a.id: ArticleView.from_model(a) for a in rows}

    def changed_since(self, generation: int, seen: set[int] | None = None) -> tuple[int, list[int]]:
        """The newest change id and the articles changed after `generation` (see kb.changes)."""
        return changed_since(self.db, generation, seen)

    # -- revisions -----------------------------------------------------------

    def revisions(self, ref: int | str) -> list[RevisionView]:
        """Every revision of an article, newest first."""
        with self.db.session() as session:
            article = self._load(session, ref)
            rows = session.scalars(
                select(Revision).where(Revision.article_id == article.id).order_by(Revision.number.desc())
            ).all()
            return [RevisionView.from_model(r) for r in rows]

    def revision(self, ref: int | str, number: int) -> RevisionView:
        """One revision of an article."""
        with self.db.session() as session:
            article = self._load(session, ref)
            row = session.scalar(
                select(Revision).where(Revision.article_id == article.id, Revision.number == number)
            ) if valid_id(number) else None
            if row is None:
                raise NotFound(f"article {ref!r} has no revision {number}")
            return RevisionView.from_model(row)

    # -- writing -------------------------------------------------------------

    def _unique_slug(self, session: Session, wanted: str) -> str:
        slug, n = wanted, 2
        while session.scalar(select(Article.id).where(Article.slug == slug)) is not None:
            slug, n = f"{wanted}-{n}", n + 1
        return slug

    def _apply(self, article: Article, fields: Mapping[str, Any]) -> None:
        for name, value in fields.items():
            if name == "tags":
                article.tags = [ArticleTag(tag=tag, position=i) for i, tag in enumerate(value)]
            elif name in EDITABLE_FIELDS:
                setattr(article, name, value)

    def _record(self, session: Session, article: Article, author: str, message: str,
                at: datetime, before_status: str | None = None) -> None:
        session.add(Revision(article_id=article.id, number=article.revision, author=author,
                             message=message, created_at=at, **_snapshot(article)))
        session.add(Change(article_id=article.id, at=at))
        first = article.revision == 1
        detail = {"message": message, "status": article.status}
        if before_status is not None and before_status != article.status:
            detail["status_from"] = before_status
        self.audit.add(session, actor=author, action="article.created" if first else "article.updated",
                       article=article, before=None if first else article.revision - 1, after=article.revision,
                       detail=detail)

    def create(self, data: Mapping[str, Any], *, author: str, message: str = "Created",
               created_at: datetime | None = None, updated_at: datetime | None = None) -> ArticleView:
        """Validate and store a new article as revision 1."""
        fields = validate_article_fields(data, creating=True, max_body_bytes=self.max_body_bytes)
        now = utcnow()
        with self.db.session() as session:
            wanted = fields.pop("slug", None)
            if wanted and session.scalar(select(Article.id).where(Article.slug == wanted)):
                raise Conflict(f"slug {wanted!r} is taken", field="slug")
            article = Article(
                slug=wanted or self._unique_slug(session, slugify(fields["title"])),
                title=fields["title"], body="", status="draft", language="en", owner=author,
                team="", meta={}, revision=1, created_at=created_at or now,
                updated_at=updated_at or created_at or now,
            )
            self._apply(article, fields)
            session.add(article)
            try:
                session.flush()
            except IntegrityError:
                # Another writer took the slug between our check and insert.
                raise Conflict(f"slug {article.slug!r} is taken; try again", field="slug") from None
            self._record(session, article, author, message, updated_at or now)
            view = ArticleView.from_model(article)
        self._notify([view.id])
        return view

    def update(self, ref: int | str, data: Mapping[str, Any], *, base_revision: int, author: str,
               message: str = "", updated_at: datetime | None = None, along: Along | None = None,
               review_as_given: bool = False) -> ArticleView:
        """Save changed fields as a new revision, refusing a stale `base_revision`.

        `along(session)` runs in the same transaction, saved or not: what it records commits with the save or
        not at all, and an error it raises undoes the save. An edit of title or body moves a passed review
        date one review interval on and withdraws the review request, unless `review_as_given` (an import:
        its file says both).
        """
        fields = validate_article_fields(data, creating=False, max_body_bytes=self.max_body_bytes)
        try:
            with self.db.session() as session:
                article = self._load(session, ref)
                refuse_stale_base(session, article, base_revision)
                before = _snapshot(article)
                after = {**before, **fields}
                if after == before:
                    if along:
                        along(session)
                    return ArticleView.from_model(article)
                at = updated_at or utcnow()
                self._apply(article, fields)
                if (after["title"], after["body"]) != (before["title"], before["body"]) and not review_as_given:
                    article.review_requested_at, article.review_reason = None, ""  # the owner acted on it
                    # The passed date asked for this edit (the editor sends it back unchanged): the next one is
                    # a review interval away, so the article is still reviewed again one day.
                    if after["review_by"] == before["review_by"] and article.review_by and \
                            article.review_by < date.today():
                        article.review_by = date.today() + self.review_interval
                article.revision += 1
                article.updated_at = at
                self._record(session, article, author, message or "Edited", at, before["status"])
                if along:
                    along(session)
                view = ArticleView.from_model(article)
        except IntegrityError:
            # Another writer saved the same revision number between our check and commit.
            raise Conflict(
                "the article was changed by someone else while saving; reload and retry"
            ) from None
        self._notify([view.id])
        return view

    def check_base(self, ref: int | str, base_revision: int) -> None:
        """Raise Conflict (with what changed since) unless `base_revision` is the article's current one."""
        with self.db.session() as session:
            refuse_stale_base(session, self._load(session, ref), base_revision)

    def restore(self, ref: int | str, number: int, *, author: str,
                base_revision: int | None = None) -> ArticleView:
        """Make an old revision current again, as a new revision."""
        old = self.revision(ref, number)
        current = self.get(ref)
        return self.update(current.id, old.content_fields(), author=author,
                           base_revision=current.revision if base_revision is None else base_revision,
                           message=f"Restored revision {number}")

    def archive(self, ref: int | str, *, author: str, base_revision: int | None = None) -> ArticleView:
        """Archive instead of deleting: nothing is ever lost."""
        current = self.get(ref)
        return self.update(current.id, {"status": "archived"}, author=author,
                           base_revision=current.revision if base_revision is None else base_revision,
                           message="Archived")
