"""Articles as Markdown files with YAML front matter (``kb export DIR`` / ``kb import DIR``).

One file per article, ``<slug>.md``. Every field is kept (dates to the microsecond, the
author as text), so exporting, importing into an empty desk and exporting again writes the
same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.kb_reads import ArticleData

SUFFIX = ".md"
MAX_FILE_BYTES = 2_000_000


def _date(value: Any, name: str, where: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidValue(f"{where}: {name} is not a date: {value!r}") from None
    if not isinstance(value, datetime):
        raise InvalidValue(f"{where}: {name} is missing or not a date")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def article_text(article: ArticleData) -> str:
    """The file of one article."""
    post = frontmatter.Post(
        article.body,
        title=article.title,
        slug=article.slug,
        category=article.category,
        tags=list(article.tags),
        status=article.status,
        visibility=article.visibility,
        author=article.author,
        created=article.created_at.astimezone(UTC).isoformat(),
        updated=article.updated_at.astimezone(UTC).isoformat(),
    )
    return str(frontmatter.dumps(post, sort_keys=False, allow_unicode=True)) + "\n"


def parse_article(text: str, where: str, *, now: datetime) -> ArticleData:
    """An article from its file's text; ``where`` names the file in a refusal."""
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as error:
        raise InvalidValue(f"{where}: the front matter is not valid YAML ({error})") from None
    meta = post.metadata
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = tags.replace(",", " ").split()
    if not isinstance(tags, list):
        raise InvalidValue(f"{where}: tags must be a list")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise InvalidValue(f"{where}: the front matter has no title")
    created = _date(meta.get("created", now), "created", where)
    return ArticleData(
        slug=str(meta.get("slug") or Path(where).stem),
        title=title,
        body=post.content,
        category=str(meta.get("category") or ""),
        tags=tuple(str(t) for t in tags),
        status=str(meta.get("status") or "draft"),
        visibility=str(meta.get("visibility") or "internal"),
        author=str(meta.get("author") or ""),
        created_at=created,
        updated_at=_date(meta.get("updated", created), "updated", where),
    )


def write_files(directory: Path, articles: Iterable[ArticleData]) -> int:
    """Write each article to ``directory/<slug>.md``; returns how many."""
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for article in articles:
        (directory / f"{article.slug}{SUFFIX}").write_text(
            article_text(article), encoding="utf-8", newline="\n"
        )
        count += 1
    return count


def read_files(directory: Path, *, now: datetime) -> list[ArticleData]:
    """Every ``*.md`` file of ``directory`` (not its subdirectories), by name."""
    if not directory.is_dir():
        raise InvalidValue(f"{directory} is not a directory")
    found = []
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        data = path.read_bytes()
        if len(data) > MAX_FILE_BYTES:
            raise InvalidValue(f"{path.name} is over {MAX_FILE_BYTES} bytes")
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as error:
            raise InvalidValue(f"{path.name} is not valid UTF-8 (byte {error.start})") from None
        found.append(parse_article(text, path.name, now=now))
    return found
