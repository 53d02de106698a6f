"""The demo report: one HTML page with a section per tutorial experiment.

:func:`write_page` writes ``index.html`` beside the pictures :mod:`descend.gallery` wrote:
what each experiment shows, its settings, its log, our numbers next to the tutorial's and the
closed-form ones, and its figures and animations. The page carries its own style and no
script, and refers only to files in its folder, so it opens from disk in any browser with no
network.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

__all__ = ["write_page"]

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       color: #1d1d1f; background: #fafafa; line-height: 1.5; }
header, main { max-width: 64rem; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1.5rem; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid #0072B2; padding-bottom: 0.2rem; }
section { background: white; border-radius: 8px; padding: 0.5rem 1.25rem 1rem;
          margin: 1.25rem 0; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.12); }
nav ol { columns: 2; padding-left: 1.25rem; }
.ok { color: #009E73; font-weight: 600; }
.bad { color: #D55E00; font-weight: 600; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.75rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f3f3f3; padding: 0.6rem 0.8rem; overflow-x: auto; font-size: 0.85rem;
      border-radius: 4px; }
dl.settings { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 1rem;
              font-size: 0.92rem; }
dl.settings dt { color: #555; }
dl.settings dd { margin: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; flex: 1 1 22rem; max-width: 100%; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.88rem; color: #444; }
footer { max-width: 64rem; margin: 2rem auto; padding: 0 1.25rem; color: #666;
         font-size: 0.85rem; }
"""


def write_page(reports: Sequence, pictures: dict, folder, *, version: str = "") -> Path:
    """Write ``folder/index.html`` for the experiments' reports and return its path.

    Parameters
    ----------
    reports : sequence of descend.tutorials.Report
    pictures : dict
        Each report's key to the :class:`descend.gallery.Picture` objects written for it
        (their files must be in ``folder``).
    folder : path
        Where the pictures are and the page goes. The page is written complete or not at all.
    version : str
        descend's version, for the footer.
    """
    folder = Path(folder)
    failed = [r.key for r in reports if not r.ok]
    summary = (
        '<p class="ok">Every number matches the tutorial.</p>'
        if not failed
        else f'<p class="bad">Numbers differ from the tutorial in {_e(", ".join(failed))}.</p>'
    )
    nav = "".join(
        f'<li><a href="#{r.key.lower()}">{_e(r.key)} — {_e(r.title)}</a> {_mark(r.ok)}</li>'
        for r in reports
    )
    sections = "\n".join(_section(r, pictures.get(r.key, [])) for r in reports)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>descend demo: the tutorial experiments</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>descend demo: the tutorial experiments</h1>
<p>Each classic gradient-descent experiment run through descend's public API: what it shows,
its settings, our numbers next to the tutorial's (and the exact value where there is a closed
form), and the pictures drawn from the runs' own records.</p>
{summary}
<nav><ol>{nav}</ol></nav>
</header>
<main>
{sections}
</main>
<footer>Written by <code>descend demo</code>{_e(f" (descend {version})" if version else "")}.
Every figure and animation here was drawn from the history the run kept.</footer>
</body>
</html>
"""
    from descend.datafiles import atomic_write

    path = folder / "index.html"
    with atomic_write(path) as fh:
        fh.write(page)
    return path


def _section(report, pictures) -> str:
    settings = "".join(
        f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in report.settings.items()
    )
    has_exact = any(c.exact is not None for c in report.checks)
    head = "<tr><th>quantity</th><th>descend</th><th>tutorial</th>" + (
        "<th>closed form</th>" if has_exact else ""
    ) + "<th></th></tr>"  # fmt: skip
    rows = "".join(
        f"<tr><td>{_e(c.quantity)}</td><td class=num>{_e(c.ours)}</td>"
        f"<td class=num>{_e(c.reference)}</td>"
        + (f"<td class=num>{_e('' if c.exact is None else c.exact)}</td>" if has_exact else "")
        + f"<td>{_mark(c.ok)}</td></tr>"
        for c in report.checks
    )
    figures = "".join(
        f'<figure><img src="{_e(p.filename)}" alt="{_e(p.caption)}" loading="eager">'
        f"<figcaption>{_e(p.caption)}</figcaption></figure>"
        for p in pictures
    )
    log = "\n".join(report.log)
    return f"""<section id="{_e(report.key.lower())}">
<h2>{_e(report.key)} — {_e(report.title)} {_mark(report.ok)}</h2>
<p>{_e(report.about)}</p>
<dl class="settings">{settings}</dl>
<table><thead>{head}</thead><tbody>{rows}</tbody></table>
<pre>{_e(log)}</pre>
<div class="figures">{figures}</div>
</section>"""


def _mark(ok: bool) -> str:
    return '<span class="ok">✓</span>' if ok else '<span class="bad">✗</span>'


def _e(value) -> str:
    return html.escape(str(value), quote=True)
