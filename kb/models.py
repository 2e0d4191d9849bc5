"""SQLAlchemy tables: articles, their revisions and tags, and the change log the indexes follow."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

STATUSES = ("draft", "in_review", "published", "archived")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    """Now, in UTC, to the second (what the API and content files show)."""
    return datetime.now(UTC).replace(microsecond=0)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Article(Base):
    """The current state of an article; every change is also kept as a Revision."""

    __tablename__ = "articles"

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
