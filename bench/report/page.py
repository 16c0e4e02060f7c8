"""The report's content as sections, rendered to one self-contained HTML page
(figures embedded, no script, no network request) and to Markdown for GitHub.

All text from suite files and stored runs is escaped on the way out.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Figure:
    title: str
    caption: str
    png: Path


@dataclass(frozen=True)
class Table:
    title: str
    frame: pd.DataFrame
    note: str = ""


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    code: str | None = None


STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1180px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .92em; }
table { border-collapse: collapse; margin: .6em 0 1.4em; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
tr:nth-child(even) { background: #f7f7f7; } caption { text-align: left; font-weight: 600; padding: .3em 0; }
pre { background: #f5f5f5; padding: .8em; overflow-x: auto; font-size: .85em; }
.better { color: #1a7f37; font-weight: 600; } .worse { color: #b42318; font-weight: 600; }
"""


def render_html(title: str, sections: list[Section]) -> str:
    """One HTML page with every figure embedded as a base64 PNG."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for section in sections:
        parts.append(f"<section><h2>{html.escape(section.title)}</h2>")
        parts += [f"<p>{html.escape(p)}</p>" for p in section.paragraphs]
        if section.items:
            parts.append(
                "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in section.items) + "</ul>"
            )
        for figure in section.figures:
            data = base64.b64encode(figure.png.read_bytes()).decode("ascii")
            parts.append(
                f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(figure.title)}">'
                f"<figcaption><b>{html.escape(figure.title)}.</b> {html.escape(figure.caption)}"
                "</figcaption></figure>"
            )
        for table in section.tables:
            parts.append(_html_table(table))
        if section.code is not None:
            parts.append(f"<pre>{html.escape(section.code)}</pre>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.frame.columns)
    rows = []
    for values in table.frame.itertuples(index=False):
        cells = []
        for value in values:
            text = str(value)
            css = text if text in ("better", "worse") else ("text" if not _numeric(text) else "")
            attr = f' class="{css}"' if css else ""
            cells.append(f"<td{attr}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    note = f"<p>{html.escape(table.note)}</p>" if table.note else ""
    return (
        f"<table><caption>{html.escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{note}"
    )


def render_markdown(title: str, sections: list[Section], base: Path) -> str:
    """The same content as Markdown; figures link to their PNG relative to ``base``."""
    lines = [f"# {_md(title)}", ""]
    for section in sections:
        lines += [f"## {_md(section.title)}", ""]
        for paragraph in section.paragraphs:
            lines += [_md(paragraph), ""]
        if section.items:
            lines += [f"- {_md(item)}" for item in section.items] + [""]
        for figure in section.figures:
            link = figure.png.relative_to(base).as_posix()
            lines += [
                f"![{_md(figure.title)}]({link})",
                "",
                f"*{_md(figure.title)}.* {_md(figure.caption)}",
                "",
            ]
        for table in section.tables:
            lines += [f"**{_md(table.title)}**", ""]
            columns = [str(c) for c in table.frame.columns]
            lines.append("| " + " | ".join(_cell(c) for c in columns) + " |")
            lines.append("| " + " | ".join(_alignment(table.frame[c]) for c in table.frame) + " |")
            for values in table.frame.itertuples(index=False):
                lines.append("| " + " | ".join(_cell(str(v)) for v in values) + " |")
            lines.append("")
            if table.note:
                lines += [_md(table.note), ""]
        if section.code is not None:
            lines += ["```", section.code.rstrip("\n").replace("```", "` ` `"), "```", ""]
    return "\n".join(lines)


def _alignment(column: pd.Series) -> str:
    """Markdown alignment: numbers right, text left."""
    return "---:" if all(_numeric(str(v)) for v in column) else "---"


def _numeric(text: str) -> bool:
    try:
        float(text.split(" ")[0].strip("[],"))
    except ValueError:
        return False
    return True


def _md(text: str) -> str:
    """Text from suite files, made inert in Markdown (no HTML, links or emphasis)."""
    return (
        html.escape(text, quote=False)
        .replace("*", r"\*")
        .replace("_", r"\_")
        .replace("[", r"\[")
        .replace("]", r"\]")
    )


def _cell(text: str) -> str:
    return _md(text).replace("|", r"\|")
