"""SQLAlchemy tables: articles, their revisions and tags, and the change log the indexes follow."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kb.timestamps import UTCDateTime, utcnow

STATUSES = ("draft", "in_review", "published", "archived")
ROLES = ("reader", "author", "reviewer", "admin")
__all__ = ["UTCDateTime", "utcnow"]  # defined in kb.timestamps; migrations and most modules take them from here


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Article(Base):
    """The current state of an article; every change is also kept as a Revision."""

    __tablename__ = "articles"
    # Listings filter by status and sort by last change: one index serves both without a sort step.
    # AUTOINCREMENT: SQLite would otherwise hand a purged article's id to the next one, and with it the
    # purged article's audit trail and feedback.
    __table_args__ = (Index("ix_articles_status_updated", "status", "updated_at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft", index=True)
    language: Mapped[str] = mapped_column(String(16), nullable=False, default="en", index=True)
    owner: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    team: Mapped[str] = mapped_column(String(100), nullable=False, default="", index=True)
    review_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    meta: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # "Needs review" asked for by the owner or raised by analytics; cleared by the next save or a review.
    review_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    review_reason: Mapped[str] = mapped_column(String(300), nullable=False, default="", server_default="")

    tags: Mapped[list[ArticleTag]] = relationship(
        cascade="all, delete-orphan", order_by="ArticleTag.position", lazy="selectin"
    )


class ArticleTag(Base):
    """One tag of an article, in the order the author gave them."""

    __tablename__ = "article_tags"
    __table_args__ = (Index("ix_article_tags_tag", "tag"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Revision(Base):
    """A full snapshot of an article as saved, with who saved it, when and why."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    tags: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    language: Mapped[str] = mapped_column(String(16), nullable=False)
    owner: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    team: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    review_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    meta: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    author: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    message: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Change(Base):
    """Append-only log of article changes; search indexes replay it to stay current."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(Integer, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ApiToken(Base):
    """A helpdesk plugin's credential: only a hash of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    scope: Mapped[str] = mapped_column(String(20), nullable=False)
    team: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)  # shown in listings to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SuggestQuery(Base):
    """One suggestion request: what was asked (masked) and what was shown, so feedback can refer to it."""

    __tablename__ = "suggest_queries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    token_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    channel: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    query_text: Mapped[str] = mapped_column(Text, nullable=False, default="")  # cleaned and masked
    shown: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # article ids, best first
    abstained: Mapped[bool] = mapped_column(default=False, nullable=False)
    top_confidence: Mapped[float] = mapped_column(default=0.0, nullable=False)


class Feedback(Base):
    """What an agent reported about a suggested article."""

    __tablename__ = "feedback"
    # One verdict of each kind per suggestion and article: a retry counts once (kb.feedback serialises too).
    __table_args__ = (UniqueConstraint("query_id", "article_id", "outcome", name="uq_feedback_verdict"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query_id: Mapped[str] = mapped_column(ForeignKey("suggest_queries.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    ticket_ref: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ArticleStats(Base):
    """Running counts per article: tickets it solved (links) and how helpful agents found it."""

    __tablename__ = "article_stats"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    links: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    helpful: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    not_related: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    did_not_answer: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class User(Base):
    """A person who signs in; the role decides what they may do, the team which articles they own."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False, default="")  # empty: SSO only
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="reader")
    team: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when the account is disabled: sessions from before it stay ended if it is enabled again.
    sessions_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuditEntry(Base):
    """One change anyone made (who, what, when, revisions before and after); never updated or deleted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(120), nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(20), nullable=False)  # user, token, cli, system
    action: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    article_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    article_slug: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    before_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    after_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)


class QueryLogEntry(Base):
    """One logged search (or API suggestion): masked query, filters, what was shown and opened, latency, who."""

    __tablename__ = "query_log"
    # kind+day lead every analytics aggregate; the extra columns make the index covering (no table lookups).
    __table_args__ = (
        Index("ix_query_log_kind_day", "kind", "day", "query_key", "result_count", "clicked_article_id"),
        Index("ix_query_log_misses", "kind", "result_count", "day", "query_key"),
        Index("ix_query_log_key_at", "query_key", "result_count", "at"),
        Index("ix_query_log_clicked_day", "clicked_article_id", "day"),
        # Popular searches read only the searches that led somewhere: a small index, written on a click.
        Index("ix_query_log_popular", "kind", "day", "query_key", "actor",
              sqlite_where=text("clicked_article_id IS NOT NULL"),
              postgresql_where=text("clicked_article_id IS NOT NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a suggestion's row shares its query_id
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)  # UTC day of `at`: GROUP BY without date functions
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # search, suggest
    source: Mapped[str] = mapped_column(String(10), nullable=False, default="")  # page, api
    query: Mapped[str] = mapped_column(Text, nullable=False, default="")  # personal data masked
    query_key: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # lowercased, spaces folded
    mode: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    filters: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    shown: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # article ids, best first
    result_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    top_article_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    abstained: Mapped[bool] = mapped_column(default=False, nullable=False)
    took_ms: Mapped[float] = mapped_column(default=0.0, nullable=False)
    actor: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    clicked_article_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SuggestionCount(Base):
    """How often an article was suggested on one day: drift compares link rates without reading every answer."""

    __tablename__ = "suggestion_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shown: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ArticleVote(Base):
    """A reader's answer to "Was this helpful?": one per person and article, which they may change."""

    __tablename__ = "article_votes"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    voter: Mapped[str] = mapped_column(String(120), primary_key=True)
    helpful: Mapped[bool] = mapped_column(nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ArticleReadCount(Base):
    """How often an article's page was read on one day, whatever led there (search, a plugin's link, a bookmark)."""

    __tablename__ = "article_reads"
    __table_args__ = (Index("ix_article_reads_article_day", "article_id", "day"),)  # one article's recent reads

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reads: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ChangeRequest(Base):
    """An author's change to a published article, waiting for a reviewer; the live text stays as it is."""

    __tablename__ = "change_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), nullable=False, index=True)
    base_revision: Mapped[int] = mapped_column(Integer, nullable=False)
    fields: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # only the fields that change
    author: Mapped[str] = mapped_column(String(120), nullable=False)
    message: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="open", index=True)
    decided_by: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(String(500), nullable=False, default="")
