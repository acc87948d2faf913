"""The public help site (``kb export --html DIR``): static, self-contained, safe to publish.

Only published public articles go in. Pages: ``index.html`` (every category and article,
and the search box), ``category/<slug>.html``, ``article/<slug>.html``; ``assets/`` holds
the stylesheet, the search script and the search index (a JSON array inside a small script,
so the search works from ``file://`` too). Nothing is loaded from anywhere else: no CDN, no
fonts, no remote images (an image with a remote address shows its description instead).
Markdown is rendered by markdown-it-py with raw HTML off, so an article cannot add markup
or scripts; every title and name is escaped.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from helpdesk_tui.desk.kb import slugify
from helpdesk_tui.desk.kb_service import ArticleView

INDEX_TEXT = 2000
"""Characters of each article's text kept in the search index."""
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)

STYLE = """\
body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;
line-height:1.5;color:#1d1d1f}
a{color:#0b57d0}
header a{text-decoration:none;color:inherit}
.meta{color:#666;font-size:.9rem}
#search{width:100%;font-size:1.1rem;padding:.4rem}
#results li,.articles li{margin:.3rem 0}
pre{background:#f4f4f4;padding:.6rem;overflow:auto}
code{background:#f4f4f4}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}
"""

SEARCH_JS = """\
(function () {
  var box = document.getElementById("search");
  var list = document.getElementById("results");
  if (!box || !list) { return; }
  var root = document.body.getAttribute("data-root") || "";
  function words(text) { return text.toLowerCase().match(/[\\p{L}\\p{N}]+/gu) || []; }
  function score(entry, terms) {
    var total = 0;
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i], hit = 0;
      if (entry.t.toLowerCase().indexOf(t) >= 0) { hit = 10; }
      else if (entry.g.toLowerCase().indexOf(t) >= 0) { hit = 5; }
      else if (entry.x.toLowerCase().indexOf(t) >= 0) { hit = 1; }
      if (!hit) { return 0; }
      total += hit;
    }
    return total;
  }
  function show() {
    var terms = words(box.value);
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!terms.length) { return; }
    var found = [];
    for (var i = 0; i < window.KB_INDEX.length; i++) {
      var s = score(window.KB_INDEX[i], terms);
      if (s) { found.push([s, window.KB_INDEX[i]]); }
    }
    found.sort(function (a, b) { return b[0] - a[0]; });
    if (!found.length) {
      var none = document.createElement("li");
      none.textContent = "No article found.";
      list.appendChild(none);
    }
    for (var j = 0; j < found.length && j < 20; j++) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = root + found[j][1].u;
      link.textContent = found[j][1].t;
      item.appendChild(link);
      list.appendChild(item);
    }
  }
  box.addEventListener("input", show);
  show();
})();
"""


def _image(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A local image as usual; a remote one as its description (nothing leaves the site)."""
    token = tokens[idx]
    source = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    if _REMOTE.match(source):
        return f'<span class="image">[{html.escape(alt)}]</span>'
    return f'<img src="{html.escape(source)}" alt="{html.escape(alt)}">'


def markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.add_render_rule("image", _image)
    return md


def render(md: MarkdownIt, body: str) -> str:
    return str(md.render(body))


def _page(title: str, root: str, content: str, site_title: str, *, search: bool = True) -> str:
    box = (
        '<input id="search" type="search" placeholder="Search the help center" '
        'aria-label="Search" autocomplete="off">\n<ul id="results"></ul>\n'
        if search
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        f'<link rel="stylesheet" href="{root}assets/style.css">\n</head>\n'
        f'<body data-root="{root}">\n<header><a href="{root}index.html">'
        f"{html.escape(site_title)}</a></header>\n{box}<main>\n{content}</main>\n"
        f'<script src="{root}assets/search-index.js"></script>\n'
        f'<script src="{root}assets/search.js"></script>\n</body>\n</html>\n'
    )


def _links(articles: Sequence[ArticleView], root: str) -> str:
    items = "".join(
        f'<li><a href="{root}article/{a.slug}.html">{html.escape(a.title)}</a></li>\n'
        for a in articles
    )
    return f'<ul class="articles">\n{items}</ul>\n'


def _plain(body: str) -> str:
    return " ".join(re.sub(r"[#*_`>\[\]()!|-]+", " ", body).split())[:INDEX_TEXT]


def build_site(
    articles: Sequence[ArticleView], directory: Path, *, site_title: str = "Help center"
) -> int:
    """Write the site for the public articles among ``articles``; returns how many."""
    public = sorted((a for a in articles if a.is_public), key=lambda a: a.title.lower())
    categories: dict[str, list[ArticleView]] = {}
    for article in public:
        categories.setdefault(article.category or "General", []).append(article)
    for sub in ("assets", "article", "category"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    (directory / "assets" / "style.css").write_text(STYLE, encoding="utf-8")
    (directory / "assets" / "search.js").write_text(SEARCH_JS, encoding="utf-8")
    entries: list[dict[str, Any]] = [
        {
            "t": a.title,
            "g": " ".join([a.category, *a.tags]),
            "x": _plain(a.body),
            "u": f"article/{a.slug}.html",
        }
        for a in public
    ]
    # ``<`` escaped too: the index stays inert whatever a title holds.
    index_json = json.dumps(entries, ensure_ascii=True).replace("<", "\\u003c")
    (directory / "assets" / "search-index.js").write_text(
        f"window.KB_INDEX = {index_json};\n", encoding="utf-8"
    )
    sections = "".join(
        f'<h2><a href="category/{slugify(name)}.html">{html.escape(name)}</a></h2>\n'
        + _links(items, "")
        for name, items in sorted(categories.items())
    )
    (directory / "index.html").write_text(
        _page(site_title, "", f"<h1>{html.escape(site_title)}</h1>\n{sections}", site_title),
        encoding="utf-8",
    )
    for name, items in categories.items():
        content = f"<h1>{html.escape(name)}</h1>\n{_links(items, '../')}"
        (directory / "category" / f"{slugify(name)}.html").write_text(
            _page(name, "../", content, site_title), encoding="utf-8"
        )
    md = markdown()
    for article in public:
        category = article.category or "General"
        meta = (
            f'<p class="meta"><a href="../category/{slugify(category)}.html">'
            f"{html.escape(category)}</a> · updated {article.updated_at:%Y-%m-%d}</p>\n"
        )
        content = (
            f"<article>\n<h1>{html.escape(article.title)}</h1>\n{meta}"
            f"{render(md, article.body)}</article>\n"
        )
        (directory / "article" / f"{article.slug}.html").write_text(
            _page(article.title, "../", content, site_title), encoding="utf-8"
        )
    return len(public)
