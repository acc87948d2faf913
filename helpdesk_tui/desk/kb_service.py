"""The knowledge base, as the `Desk` facade offers it: articles, versions, search, suggestions.

Who may do what: every agent reads, creates and edits articles (drafts, internal ones);
publishing, unpublishing, editing what customers already see (a published public article)
and importing need a supervisor, since those change what customers read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from helpdesk_tui.desk import kb
from helpdesk_tui.desk.errors import InvalidTransition, InvalidValue, NotFound
from helpdesk_tui.desk.kb_reads import (
    ARTICLES,
    ArticleData,
    ArticleView,
    KbReads,
    KbResult,
    article_data,
    article_ref,
    article_view,
    articles_by_id,
    search_results,
)
from helpdesk_tui.desk.statuses import becomes_article
from helpdesk_tui.desk.tickets import load_ticket
from helpdesk_tui.storage.kb_models import (
    ArticleStatus,
    KbArticle,
    KbArticleVersion,
    KbEvent,
    Visibility,
)
from helpdesk_tui.storage.kb_search import KbFilters, KbSearch, search_articles
from helpdesk_tui.storage.models import Message, MessageKind, Role

__all__ = [
    "ArticleData",
    "ArticleView",
    "KbEventView",
    "KbResult",
    "KbService",
    "VersionView",
    "articles_for_acknowledgement",
]
"""The views are ``kb_reads``'; named here for the screens, which take them from the facade's
module."""

SUGGESTIONS = 5
"""Articles the side panel of a ticket lists."""
ACK_ARTICLES = 3
"""Articles an acknowledgement lists at most."""
SUGGESTION_CANDIDATES = 10
"""Articles a ticket's search reads before :func:`worth_suggesting` keeps the good ones."""
_FIELDS = ("title", "category", "tags", "visibility", "body")


@dataclass(frozen=True)
class VersionView:
    version: int
    title: str
    body: str
    category: str
    tags: tuple[str, ...]
    status: str
    visibility: str
    actor: str
    created_at: datetime


@dataclass(frozen=True)
class KbEventView:
    version: int | None
    actor: str
    kind: str
    field: str | None
    old_value: str | None
    new_value: str | None
    created_at: datetime


# -- views: one builder per kind, each from whatever row holds its columns ----------------------


def _version_view(row: KbArticleVersion) -> VersionView:
    return VersionView(
        version=row.version,
        title=row.title,
        body=row.body,
        category=row.category,
        tags=kb.split_tags(row.tags),
        status=row.status,
        visibility=row.visibility,
        actor=row.actor,
        created_at=row.created_at,
    )


def _event_view(row: KbEvent) -> KbEventView:
    return KbEventView(
        row.article_version,
        row.actor,
        row.kind,
        row.field,
        row.old_value,
        row.new_value,
        row.created_at,
    )


class KbService(KbReads):
    """Knowledge-base operations of the facade (methods prefixed ``kb_``; the reads:
    ``KbReads``)."""

    # -- reading ------------------------------------------------------------------------------

    def kb_versions(self, ref: int | str) -> list[VersionView]:
        """Every version of an article, the first first."""
        with self._read() as session:
            article = self._load(session, ref)
            rows = session.exec(
                select(KbArticleVersion)
                .where(KbArticleVersion.article_id == article.id)
                .order_by(col(KbArticleVersion.version))
            )
            return [_version_view(row) for row in rows]

    def kb_diff(self, ref: int | str, old: int, new: int | None = None) -> str:
        """A unified diff between two versions of an article (``new``: the latest)."""
        versions = {v.version: v for v in self.kb_versions(ref)}
        new = new if new is not None else max(versions)
        texts = []
        for number in (old, new):
            if number not in versions:
                raise NotFound(f"the article has no version {number}")
            v = versions[number]
            texts.append(
                kb.version_text(v.title, v.category, " ".join(v.tags), v.visibility, v.body)
            )
        return kb.unified_diff(texts[0], texts[1], f"version {old}", f"version {new}")

    def kb_history(self, ref: int | str) -> list[KbEventView]:
        """The article's events, oldest first."""
        with self._read() as session:
            article = self._load(session, ref)
            rows = session.exec(
                select(KbEvent).where(KbEvent.article_id == article.id).order_by(col(KbEvent.id))
            )
            return [_event_view(row) for row in rows]

    # -- writing --------------------------------------------------------------------------------

    def kb_create(
        self,
        title: str,
        body: str,
        *,
        category: str = "",
        tags: Iterable[str] = (),
        visibility: str = Visibility.INTERNAL,
        slug: str | None = None,
    ) -> ArticleView:
        """A new draft article, written by the acting agent."""
        title = kb.check_title(title)
        with self._write() as session:
            now = self.clock()
            row = KbArticle(
                slug=self._free_slug(session, kb.check_slug(slug) if slug else kb.slugify(title)),
                title=title,
                body=kb.normalize_body(body),
                category=kb.check_category(category),
                tags=kb.normalize_tags(tags),
                status=ArticleStatus.DRAFT,
                visibility=kb.check_choice(visibility, Visibility, "visibility"),
                author=self.actor.name,
                version=1,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            self._snapshot(session, row)
            self._event(session, row, "created", new_value=row.title)
            return article_view(row)

    def kb_update(
        self,
        ref: int | str,
        *,
        expected_version: int | None = None,
        title: str | None = None,
        body: str | None = None,
        category: str | None = None,
        tags: Iterable[str] | None = None,
        visibility: str | None = None,
    ) -> ArticleView:
        """Change an article; refused if ``expected_version`` is not its current version.

        An unchanged article is not written again (no new version, no event).
        """
        with self._write() as session:
            row = self._load(session, ref, for_update=True)
            self._check_version(row, expected_version)
            if row.status == ArticleStatus.PUBLISHED and row.visibility == Visibility.PUBLIC:
                self.actor.require(Role.SUPERVISOR, "edit an article customers can read")
            new = {
                "title": kb.check_title(title) if title is not None else row.title,
                "category": kb.check_category(category) if category is not None else row.category,
                "tags": kb.normalize_tags(tags) if tags is not None else row.tags,
                "visibility": kb.check_choice(visibility, Visibility, "visibility")
                if visibility is not None
                else row.visibility,
                "body": kb.normalize_body(body) if body is not None else row.body,
            }
            changed = [name for name in _FIELDS if getattr(row, name) != new[name]]
            if not changed:
                return article_view(row)
            if "visibility" in changed and row.status == ArticleStatus.PUBLISHED:
                self.actor.require(Role.SUPERVISOR, "change who can read a published article")
            old = {name: getattr(row, name) for name in changed}
            for name in changed:
                setattr(row, name, new[name])
            self._bump(session, row)
            for name in changed:
                shown_old = None if name == "body" else old[name]
                shown_new = None if name == "body" else new[name]
                self._event(session, row, "updated", name, shown_old, shown_new)
            return article_view(row)

    def kb_publish(self, ref: int | str, *, expected_version: int | None = None) -> ArticleView:
        return self._set_status(ref, ArticleStatus.PUBLISHED, expected_version)

    def kb_unpublish(self, ref: int | str, *, expected_version: int | None = None) -> ArticleView:
        return self._set_status(ref, ArticleStatus.DRAFT, expected_version)

    def _set_status(
        self, ref: int | str, status: ArticleStatus, expected_version: int | None
    ) -> ArticleView:
        doing = "publish" if status == ArticleStatus.PUBLISHED else "unpublish"
        self.actor.require(Role.SUPERVISOR, f"{doing} an article")
        with self._write() as session:
            row = self._load(session, ref, for_update=True)
            self._check_version(row, expected_version)
            if row.status == status:
                raise InvalidTransition(f"{row.slug} is already {status.value}")
            old = row.status
            row.status = status
            self._bump(session, row)
            self._event(
                session,
                row,
                "published" if doing == "publish" else "unpublished",
                "status",
                old,
                status.value,
            )
            return article_view(row)

    # -- files ------------------------------------------------------------------------------------

    def kb_export_data(self) -> list[ArticleData]:
        """Every article with every field, by slug (what ``kb export`` writes)."""
        statement = ARTICLES.order_by(ARTICLES.selected_columns.slug)
        with self._read() as session:
            return [article_data(row) for row in session.execute(statement)]

    def kb_import(
        self, articles: Sequence[ArticleData], *, keep_known: bool = False
    ) -> tuple[int, int]:
        """Write articles from files, in one transaction: a new slug is added, a known one
        updated (a new version) when it differs, or left as it is with ``keep_known`` (the
        demo's articles, which an admin may have edited since). Returns (added, updated)."""
        self.actor.require(Role.SUPERVISOR, "import articles")
        added = updated = 0
        with self._write() as session:
            slugs = [kb.check_slug(data.slug) for data in articles]
            known: dict[str, KbArticle] = {}
            for at in range(0, len(slugs), 500):
                chunk = slugs[at : at + 500]
                rows = session.exec(select(KbArticle).where(col(KbArticle.slug).in_(chunk)))
                known.update({row.slug: row for row in rows})
            made: list[KbArticle] = []
            for data in articles:
                values = {
                    "title": kb.check_title(data.title),
                    "body": kb.normalize_body(data.body),
                    "category": kb.check_category(data.category),
                    "tags": kb.normalize_tags(data.tags),
                    "status": kb.check_choice(data.status, ArticleStatus, "status"),
                    "visibility": kb.check_choice(data.visibility, Visibility, "visibility"),
                }
                row = known.get(data.slug)
                if row is None:
                    row = KbArticle.model_validate(
                        {
                            "slug": data.slug,
                            "author": data.author,
                            "version": 1,
                            "created_at": data.created_at,
                            "updated_at": data.updated_at,
                            **values,
                        }
                    )
                    session.add(row)
                    known[data.slug] = row
                    made.append(row)
                    added += 1
                    continue
                changed = [n for n, v in values.items() if getattr(row, n) != v]
                if not changed or keep_known:
                    continue
                if row.id is None:  # the same name twice in one import: the first is written
                    session.flush()
                    made.remove(row)
                    self._snapshot(session, row)
                    self._event(session, row, "imported", new_value=row.title)
                for name in changed:
                    setattr(row, name, values[name])
                self._bump(session, row, at=data.updated_at)
                self._event(session, row, "imported", "fields", None, ", ".join(changed))
                updated += 1
            session.flush()  # the new articles' ids, in one round of inserts
            for row in made:
                self._snapshot(session, row)
                self._event(session, row, "imported", new_value=row.title)
        return added, updated

    # -- suggestions --------------------------------------------------------------------------

    def kb_suggest_for_ticket(self, number: int, *, limit: int = SUGGESTIONS) -> list[KbResult]:
        """Articles for a ticket: its subject and its latest customer message."""
        with self._read() as session:
            ticket = load_ticket(session, number)
            latest = session.exec(
                select(Message.body)
                .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.CUSTOMER)
                .order_by(col(Message.created_at).desc(), col(Message.id).desc())
                .limit(1)
            ).first()
            found, articles = worth_suggesting(session, ticket.subject, latest or "", limit=limit)
            return search_results(session, found, articles)

    def kb_for_acknowledgement(self, subject: str, body: str) -> list[ArticleView]:
        """Up to :data:`ACK_ARTICLES` published public articles that answer a new ticket well
        (see :func:`helpdesk_tui.desk.kb.matches_well`); none when nothing does."""
        with self._read() as session:
            return articles_for_acknowledgement(session, subject, body)

    def kb_from_ticket(self, number: int) -> ArticleView:
        """A draft article from a resolved ticket: its subject, and the last reply as body."""
        with self._read() as session:
            ticket = load_ticket(session, number)
            if not becomes_article(ticket.status):
                raise InvalidTransition(
                    f"#{number} is {ticket.status}: only a resolved ticket's answer becomes an "
                    "article"
                )
            reply = session.exec(
                select(Message.body)
                .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.REPLY)
                .order_by(col(Message.created_at).desc(), col(Message.id).desc())
                .limit(1)
            ).first()
            if not reply:
                raise InvalidValue(f"#{number} has no reply to turn into an article")
            subject = ticket.subject
        return self.kb_create(subject, reply, tags=["from-ticket"])

    # -- helpers ----------------------------------------------------------------------------------

    def _load(self, session: Session, ref: int | str, *, for_update: bool = False) -> KbArticle:
        statement = select(KbArticle).where(
            article_ref(col(KbArticle.id), col(KbArticle.slug), ref)
        )
        if for_update:
            statement = statement.with_for_update()
        row = session.exec(statement).first()
        if row is None:
            raise NotFound(f"no article {ref}")
        return row

    @staticmethod
    def _check_version(row: KbArticle, expected: int | None) -> None:
        if expected is not None and expected != row.version:
            raise kb.ArticleConflict(
                f"{row.slug} changed since you opened it (version {expected} → {row.version}); "
                "reload it and make your change again",
                current_version=row.version,
            )

    @staticmethod
    def _free_slug(session: Session, slug: str) -> str:
        taken = set(
            session.exec(select(KbArticle.slug).where(col(KbArticle.slug).like(f"{slug}%"))).all()
        )
        candidate, n = slug, 2
        while candidate in taken:
            candidate, n = f"{slug}-{n}", n + 1
        return candidate

    def _bump(self, session: Session, row: KbArticle, *, at: datetime | None = None) -> None:
        row.version += 1
        row.updated_at = at or self.clock()
        session.add(row)
        session.flush()
        self._snapshot(session, row)

    def _snapshot(self, session: Session, row: KbArticle) -> None:
        assert row.id is not None
        session.add(
            KbArticleVersion(
                article_id=row.id,
                version=row.version,
                title=row.title,
                body=row.body,
                category=row.category,
                tags=row.tags,
                status=row.status,
                visibility=row.visibility,
                actor=self.actor.name,
                created_at=row.updated_at,
            )
        )

    def _event(
        self,
        session: Session,
        row: KbArticle,
        kind: str,
        field: str | None = None,
        old_value: str | None = None,
        new_value: str | None = None,
    ) -> None:
        session.add(
            KbEvent(
                article_id=row.id,
                article_version=row.version,
                actor_agent_id=self.actor.agent_id,
                actor=self.actor.name,
                kind=kind,
                field=field,
                old_value=old_value,
                new_value=new_value,
                created_at=self.clock(),
            )
        )


def worth_suggesting(
    session: Session, subject: str, body: str, filters: KbFilters | None = None, *, limit: int
) -> tuple[KbSearch, dict[int, ArticleView]]:
    """The one rule of an article worth suggesting for a ticket, to its agent (the side
    panel) and to its customer (the acknowledgement): found by the ticket's subject and
    text, and holding half of the subject's words in its title or tags
    (:func:`kb.matches_well`). The search alone also finds an article by one word of the
    text, or by a typo's fix: an Italian "cliente" read as "client" put "VPN keeps
    disconnecting" beside an order mail. The best ``limit`` hits that pass, and the
    articles read."""
    text = f"{subject} {body[:2000]}"
    found = search_articles(session, text, filters, limit=max(limit, SUGGESTION_CANDIDATES))
    articles = articles_by_id(session, [hit.article_id for hit in found.hits])
    good = [
        hit
        for hit in found.hits
        if kb.matches_well(
            subject, articles[hit.article_id].title, " ".join(articles[hit.article_id].tags)
        )
    ]
    return KbSearch(tuple(good[:limit]), found.groups), articles


def articles_for_acknowledgement(session: Session, subject: str, body: str) -> list[ArticleView]:
    """The acknowledgement's articles, in the caller's transaction (mail intake writes the
    ticket and its acknowledgement in one): worth suggesting, published and public."""
    filters = KbFilters(status=ArticleStatus.PUBLISHED, visibility=Visibility.PUBLIC)
    found, articles = worth_suggesting(session, subject, body, filters, limit=ACK_ARTICLES)
    return [articles[hit.article_id] for hit in found.hits]
