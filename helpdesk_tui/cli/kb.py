"""``helpdesk kb``: the knowledge base, scriptable.

Who may do what: every agent searches, reads, writes new articles and edits drafts and
internal ones; publishing, unpublishing, editing a published public article (what customers
read) and importing need a supervisor or an admin. ARTICLE is an article's id or its name
(slug, shown by ``kb search``).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from helpdesk_tui.cli.lazy import LazyGroup, loading
from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.safe_text import clean
from helpdesk_tui.timefmt import stamp

if TYPE_CHECKING:
    from helpdesk_tui.desk.kb_reads import KbReads
    from helpdesk_tui.desk.kb_service import KbService

VERBS = {
    name: f"helpdesk_tui.cli.kb:{name}_"
    for name in ("search", "show", "new", "edit", "publish", "unpublish", "import", "export")
}
VERB_HELP = {
    "search": "Find articles (title and tags weigh most; typos and synonyms allowed).",
    "show": "Show an article, its versions, a diff between two, or its history.",
    "new": "Write a new draft article (--from-ticket N: from a resolved ticket's reply).",
    "edit": "Change an article's title, body, category, tags or visibility.",
    "publish": "Publish articles (supervisors and admins).",
    "unpublish": "Take articles back to draft (supervisors and admins).",
    "import": "Read Markdown files with front matter from a directory (supervisors).",
    "export": "Write every article as Markdown, or the public help site with --html.",
}
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group(cls=LazyGroup, lazy_subcommands=VERBS, lazy_help=VERB_HELP)
def kb() -> None:
    """The knowledge base: search, read, write, publish, import and export articles.

    Agents search, read, write new articles and edit drafts and internal ones. Publishing,
    unpublishing, editing a published public article and importing need a supervisor.
    ARTICLE is an article's id or its name (slug).
    """


def _desk(runtime: Runtime) -> KbService:
    """The knowledge base alone, not the whole facade (a quicker start)."""
    with loading():
        from helpdesk_tui.desk.kb_service import KbService

    return runtime.service(KbService)


def _reads(runtime: Runtime) -> KbReads:
    """Its reads alone: on Core tables, without the ORM (the quickest start)."""
    with loading():
        from helpdesk_tui.desk.kb_reads import KbReads

    return runtime.service(KbReads)


def _article_json(article: Any) -> dict[str, Any]:
    data = asdict(article)
    data["tags"] = list(article.tags)
    return data


def _row(article: Any) -> str:
    return (
        f"{article.id:<5} {article.status:<9} {article.visibility:<8} "
        f"{line(article.slug)}  {line(article.title)}"
    )


def _nothing_found(runtime: Runtime) -> str:
    """What a search that found nothing says: on an empty knowledge base, how to fill it."""
    if not _reads(runtime).kb_list(limit=1):
        return (
            "no articles yet; write one with helpdesk kb new --title TITLE, or read Markdown "
            "files with helpdesk kb import DIR"
        )
    return (
        "no article found; try other or fewer words, or write one with "
        "helpdesk kb new --title TITLE"
    )


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--category", default=None, help="Only this category.")
@click.option("--tag", default=None, help="Only articles with this tag.")
@click.option("--status", type=click.Choice(["draft", "published"]), default=None)
@click.option("--visibility", type=click.Choice(["internal", "public"]), default=None)
@click.option("--limit", type=click.IntRange(1, 200), default=20, show_default=True)
@json_option
@pass_runtime
def search_(
    runtime: Runtime,
    query: tuple[str, ...],
    category: str | None,
    tag: str | None,
    status: str | None,
    visibility: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Find articles, best first: whole words before word starts, title and tags before
    the body; a misspelt word and common synonyms ("notebook" for "laptop") still find."""
    found = _reads(runtime).kb_search(
        " ".join(query),
        category=category,
        tag=tag,
        status=status,
        visibility=visibility,
        limit=limit,
    )
    if as_json:
        echo_json(
            [
                {
                    **_article_json(r.article),
                    "tier": r.tier,
                    "score": r.score,
                    "title_spans": r.title_spans,
                    "snippet": r.snippet,
                    "snippet_spans": r.snippet_spans,
                }
                for r in found
            ]
        )
        return
    if not found:
        click.echo(_nothing_found(runtime), err=True)
    for result in found:
        click.echo(_row(result.article))
        click.echo(f"      {line(result.snippet)}")


@click.command("show")
@click.argument("article")
@click.option("--versions", is_flag=True, help="List every version instead.")
@click.option("--diff", "diff", default=None, metavar="OLD[:NEW]", help="Diff two versions.")
@click.option("--history", is_flag=True, help="List the article's events instead.")
@json_option
@pass_runtime
def show_(
    runtime: Runtime,
    article: str,
    versions: bool,
    diff: str | None,
    history: bool,
    as_json: bool,
) -> None:
    """Show an article (front matter, then its Markdown), its versions, a diff, its history."""
    if diff is not None:
        old, _, new = diff.partition(":")
        try:
            numbers = int(old), int(new) if new else None
        except ValueError:
            hint = "give version numbers: 1 or 1:3"
            raise click.BadParameter(hint, param_hint="--diff") from None
        text = _desk(runtime).kb_diff(article, numbers[0], numbers[1])
        if as_json:
            echo_json({"diff": text})
        else:
            click.echo(clean(text), nl=False)
        return
    if versions:
        found = _desk(runtime).kb_versions(article)
        if as_json:
            echo_json([{**asdict(v), "tags": list(v.tags)} for v in found])
            return
        for v in found:
            click.echo(
                f"{v.version:<4} {stamp(v.created_at)}  {line(v.actor):<10} "
                f"{v.status:<9} {v.visibility:<8} {line(v.title)}"
            )
        return
    if history:
        events = _desk(runtime).kb_history(article)
        if as_json:
            echo_json([asdict(e) for e in events])
            return
        for e in events:
            change = f" {e.field}" if e.field else ""
            values = (
                f": {line(e.old_value) or '-'} → {line(e.new_value)}"
                if e.new_value is not None
                else ""
            )
            click.echo(f"{stamp(e.created_at)}  {line(e.actor)}  {e.kind}{change}{values}")
        return
    shown = _reads(runtime).kb_article(article)
    if as_json:
        echo_json(_article_json(shown))
        return
    from helpdesk_tui.desk.kb_files import article_text

    click.echo(clean(article_text(_data(shown))), nl=False)


def _data(article: Any) -> Any:
    from helpdesk_tui.desk.kb_reads import ArticleData

    return ArticleData(
        slug=article.slug,
        title=article.title,
        body=article.body,
        category=article.category,
        tags=article.tags,
        status=article.status,
        visibility=article.visibility,
        author=article.author,
        created_at=article.created_at,
        updated_at=article.updated_at,
    )


def _body(runtime: Runtime, body: str | None, *, edit: bool, start: str = "") -> str:
    from helpdesk_tui.cli.ticket.input import read_body

    max_bytes = runtime.start.max_body_bytes
    if body is None and edit and start:
        from helpdesk_tui.cli.errors import CliError

        data = click.edit(start.encode(), require_save=True, extension=".md")
        if data is None:
            raise CliError("the article was not saved in the editor; nothing changed")
        return read_body(
            data.decode("utf-8", "replace"),
            edit=False,
            stdin_free=True,
            what="article",
            max_bytes=max_bytes,
        )
    return read_body(body, edit=edit, stdin_free=True, what="article", max_bytes=max_bytes)


@click.command("new")
@click.option("--title", default=None, help="The title (required unless --from-ticket).")
@click.option("--body", default=None, help="The Markdown text (else stdin, else $EDITOR).")
@click.option("--edit", is_flag=True, help="Write the text in $EDITOR.")
@click.option("--category", default="", help="Its category.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option(
    "--visibility", type=click.Choice(["internal", "public"]), default="internal", show_default=True
)
@click.option(
    "--from-ticket",
    "from_ticket",
    type=int,
    default=None,
    help="Draft from resolved ticket N: its subject and last reply.",
)
@json_option
@pass_runtime
def new_(
    runtime: Runtime,
    title: str | None,
    body: str | None,
    edit: bool,
    category: str,
    tags: tuple[str, ...],
    visibility: str,
    from_ticket: int | None,
    as_json: bool,
) -> None:
    """Write a new draft article (publish it with `kb publish`)."""
    desk = _desk(runtime)
    if from_ticket is not None:
        made = desk.kb_from_ticket(from_ticket)
    else:
        if not title:
            raise click.UsageError("give the article a --title")
        text = _body(runtime, body, edit=edit)
        made = desk.kb_create(title, text, category=category, tags=tags, visibility=visibility)
    if as_json:
        echo_json(_article_json(made))
    else:
        click.echo(_row(made))


@click.command("edit")
@click.argument("article")
@click.option("--title", default=None)
@click.option("--body", default=None, help="The new Markdown text ('-': from stdin).")
@click.option("--edit", is_flag=True, help="Change the text in $EDITOR.")
@click.option("--category", default=None)
@click.option("--tag", "tags", multiple=True, help="The tags (repeatable; replace the old).")
@click.option("--visibility", type=click.Choice(["internal", "public"]), default=None)
@click.option(
    "--expect-version",
    type=int,
    default=None,
    help="Refuse if the article is no longer at this version.",
)
@json_option
@pass_runtime
def edit_(
    runtime: Runtime,
    article: str,
    title: str | None,
    body: str | None,
    edit: bool,
    category: str | None,
    tags: tuple[str, ...],
    visibility: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Change an article; each change is a new version (`kb show --versions`)."""
    desk = _desk(runtime)
    current = desk.kb_article(article)
    text: str | None = None
    if body == "-":
        text = _body(runtime, None, edit=False)
    elif body is not None:
        text = _body(runtime, body, edit=False)
    elif edit:
        text = _body(runtime, None, edit=True, start=current.body)
    changed = desk.kb_update(
        current.id,
        expected_version=expect_version if expect_version is not None else current.version,
        title=title,
        body=text,
        category=category,
        tags=tags or None,
        visibility=visibility,
    )
    if as_json:
        echo_json(_article_json(changed))
    else:
        click.echo(_row(changed))


def _set_status(runtime: Runtime, articles: tuple[str, ...], publish: bool, as_json: bool) -> None:
    from helpdesk_tui.desk.errors import DeskError

    desk = _desk(runtime)
    done, failed = [], False
    for ref in articles:
        try:
            made = desk.kb_publish(ref) if publish else desk.kb_unpublish(ref)
        except DeskError as error:
            click.echo(f"error: {ref}: {error}", err=True)
            failed = True
            continue
        done.append(made)
        if not as_json:
            click.echo(_row(made))
    if as_json:
        echo_json([_article_json(a) for a in done])
    if failed:
        raise SystemExit(1)


@click.command("publish")
@click.argument("articles", nargs=-1, required=True)
@json_option
@pass_runtime
def publish_(runtime: Runtime, articles: tuple[str, ...], as_json: bool) -> None:
    """Publish articles: public ones go on the help site and into acknowledgements."""
    _set_status(runtime, articles, True, as_json)


@click.command("unpublish")
@click.argument("articles", nargs=-1, required=True)
@json_option
@pass_runtime
def unpublish_(runtime: Runtime, articles: tuple[str, ...], as_json: bool) -> None:
    """Take articles back to draft: customers no longer see them."""
    _set_status(runtime, articles, False, as_json)


@click.command("import")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@json_option
@pass_runtime
def import_(runtime: Runtime, directory: Path, as_json: bool) -> None:
    """Read DIRECTORY/*.md (YAML front matter, then Markdown): a new name adds an article,
    a known one becomes a new version if it differs. All or nothing."""
    from helpdesk_tui.desk.kb_files import read_files

    desk = _desk(runtime)
    articles = read_files(directory, now=desk.clock())
    added, updated = desk.kb_import(articles)
    if as_json:
        echo_json({"added": added, "updated": updated, "files": len(articles)})
    else:
        click.echo(f"{added} added, {updated} updated, {len(articles)} files read", err=True)


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--html",
    "as_html",
    is_flag=True,
    help="Write the public help site (published public articles only).",
)
@json_option
@pass_runtime
def export_(runtime: Runtime, directory: Path, as_html: bool, as_json: bool) -> None:
    """Write every article to DIRECTORY as <name>.md (front matter and Markdown), or with
    --html a static help site: index, categories, articles, search; nothing loaded from
    elsewhere, ready to publish as it is (at [kb] public_url)."""
    desk = _desk(runtime)
    if as_html:
        from helpdesk_tui.desk.kb_site import build_site

        count = build_site(
            desk.kb_list(status="published", visibility="public", limit=None),
            directory,
            site_title=runtime.settings.kb.site_title,
        )
    else:
        from helpdesk_tui.desk.kb_files import write_files

        count = write_files(directory, desk.kb_export_data())
    if as_json:
        echo_json({"articles": count, "directory": str(directory)})
    else:
        click.echo(f"{count} articles written to {directory}", err=True)
