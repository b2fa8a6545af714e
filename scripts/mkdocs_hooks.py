"""mkdocs hook (mkdocs.yml ``hooks:``): links from docs/ to repository files outside it.

The pages link to ``../examples/run_demo.py``, ``../benchmarks/results/...``, ``../README.md``
so that they work when read on the forge or in a checkout; the site holds docs/ only, where such
a link would be broken. Before a page is rendered, each link that leaves docs/:

- to a file or folder that exists in the repository becomes a link to it under
  ``extra.repo_blob_url`` (e.g. ``https://github.com/<owner>/dagster-kedro/blob/main``) when
  mkdocs.yml sets one, else plain text (the link text, usually the path in backticks);
- to nothing is reported as a warning, which fails the strict build like any broken link.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\(([^)\s]+)\)")
log = logging.getLogger("mkdocs.hooks.repo_links")


def on_page_markdown(markdown, page, config, files):
    docs = Path(config["docs_dir"]).resolve()
    repo = docs.parent
    page_dir = (docs / page.file.src_path).parent
    blob_url = (config.get("extra") or {}).get("repo_blob_url")

    def rewrite(match: re.Match) -> str:
        text, target = match.groups()
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = (page_dir / path).resolve()
        if resolved == docs or docs in resolved.parents:
            return match.group(0)  # a page of the site: mkdocs checks it
        if repo not in resolved.parents or not resolved.exists():
            log.warning("%s links to %s, which is not a file of the repository", page.file.src_path, target)
            return match.group(0)
        if not blob_url:
            return text
        url = f"{blob_url.rstrip('/')}/{resolved.relative_to(repo).as_posix()}"
        return f"[{text}]({url}#{anchor})" if anchor else f"[{text}]({url})"

    return LINK.sub(rewrite, markdown)
