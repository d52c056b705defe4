"""Driving Streamlit widgets from Playwright by their visible labels, as a user would.

Every action waits for the script run it causes (``wait_ready``). Widgets are found by the
exact text of their label (``[data-testid='stWidgetLabel']``), inside ``scope`` when one is
given (an expander, a tab panel, a form), so "Target" never picks "Target column (y)".
"""

from __future__ import annotations

import re
from pathlib import Path

READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
RUNNING = "[data-testid='stApp'][data-test-script-state='running']"


def wait_ready(page, settle_ms: int = 700, timeout_ms: int = 240_000) -> None:
    """Wait until the script run ends (twice: a rerun may follow a widget change)."""
    page.wait_for_selector(READY, timeout=timeout_ms)
    page.wait_for_timeout(settle_ms)
    page.wait_for_selector(READY, timeout=timeout_ms)


def problems(page, where: str) -> list[str]:
    """Exception boxes on the page, named by where we are."""
    n = page.locator("[data-testid='stException']").count()
    return [f"{where}: {n} exception box(es): "
            + page.locator("[data-testid='stException']").first.inner_text()[:500]] if n else []


def goto(page, base: str, label: str) -> None:
    """Open a page from the sidebar menu by its label."""
    page.locator("[data-testid='stSidebar'] a", has_text=label).first.click()
    wait_ready(page)


def _exact(label: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(label)}\s*$")


def widget(page, testid: str, label: str, *, scope=None):
    """The widget of kind ``testid`` (stSelectbox, stMultiSelect, stNumberInput…) whose
    label reads exactly ``label``."""
    root = scope or page
    found = root.locator(f"[data-testid='{testid}']").filter(
        has=page.locator("[data-testid='stWidgetLabel']", has_text=_exact(label))
    )
    if found.count() == 0:
        raise AssertionError(f"no {testid} labelled {label!r} on the page")
    return found.first


def expand(page, label: str) -> None:
    """Open a collapsed expander by its label."""
    summary = page.locator("[data-testid='stExpander'] summary", has_text=label).first
    details = summary.locator("xpath=..")
    if details.get_attribute("open") is None:
        summary.click()
        wait_ready(page, 300)


def expander(page, label: str):
    """An expander's ``<details>`` (opened), to scope widgets to it."""
    expand(page, label)
    return page.locator("[data-testid='stExpander']").filter(
        has=page.locator("summary", has_text=label)).first


def tab(page, label: str, *, scope=None) -> None:
    """Click a tab by its exact label (tab changes run no script, but may draw charts)."""
    t = (scope or page).get_by_role("tab", name=label, exact=True).first
    t.click()
    page.wait_for_timeout(400)
    wait_ready(page, 200)


def fill(page, label: str, text: str, *, scope=None) -> None:
    """Type into a text input or area by its label, then leave it (Streamlit commits on blur)."""
    box = (scope or page).get_by_label(label, exact=True).first
    box.fill(text)
    box.press("Tab")
    wait_ready(page, 300)


def number(page, label: str, value: float, *, scope=None) -> None:
    """Set a number input by its label (typed, then committed by leaving it: Enter would
    submit the form it sits in)."""
    box = widget(page, "stNumberInput", label, scope=scope).locator("input").first
    box.fill(str(value))
    box.press("Tab")
    wait_ready(page, 300)


def _combobox(page, label: str, scope=None):
    return widget(page, "stSelectbox", label, scope=scope).locator("input[role='combobox']").first


def select(page, label: str, option: str, *, scope=None, exact: bool = False) -> None:
    """Pick an option of a selectbox by the selectbox's exact label and the option's text
    (typed into the select's search box first, so long lists need no scrolling)."""
    box = _combobox(page, label, scope)
    if box.input_value().strip() == option:
        return
    box.click()
    box.fill("")
    box.fill(option)
    page.wait_for_timeout(200)
    options = page.locator("[role='listbox'] [role='option']")
    if options.count() == 0:  # nothing typed matched: open the full list instead
        box.fill("")
        widget(page, "stSelectbox", label, scope=scope).locator(
            "button[aria-label='Open']").first.click()
        page.wait_for_timeout(300)
    pick = options.filter(has_text=_exact(option)) if exact else options.filter(has_text=option)
    if pick.count() == 0:
        shown = options.all_inner_texts()
        page.keyboard.press("Escape")
        raise AssertionError(f"selectbox {label!r} has no option {option!r}; it offers {shown}")
    pick.first.click()
    wait_ready(page, 300)


def selected(page, label: str, *, scope=None) -> str:
    """The text a selectbox shows as its value."""
    return _combobox(page, label, scope).input_value().strip()


def options_of(page, label: str, *, scope=None) -> list[str]:
    """Every option a selectbox offers (opened, read, closed)."""
    root = widget(page, "stSelectbox", label, scope=scope)
    root.locator("button[aria-label='Open']").first.click()
    page.wait_for_timeout(300)
    shown = page.locator("[role='listbox'] [role='option']").all_inner_texts()
    page.keyboard.press("Escape")
    page.wait_for_timeout(200)
    return [s.strip() for s in shown]


def segment(page, label: str, *, scope=None) -> None:
    """Pick an option of a segmented control (a button group) by its text; an option
    already picked is left alone (a second click would unpick it)."""
    button = (scope or page).locator("[data-testid='stButtonGroup'] button").filter(
        has_text=_exact(label)).first
    if button.get_attribute("aria-checked") == "true":
        return
    button.click()
    wait_ready(page, 300)


def click(page, text: str, *, scope=None, timeout_ms: int = 240_000) -> None:
    """Click a button (or form submit button) by its text."""
    (scope or page).get_by_role("button", name=text, exact=True).first.click()
    wait_ready(page, timeout_ms=timeout_ms)


def upload(page, path: Path, *, index: int = 0, scope=None) -> None:
    """Give a file to the ``index``-th file uploader on the page (or in ``scope``)."""
    (scope or page).locator("[data-testid='stFileUploader'] input[type='file']").nth(
        index).set_input_files(str(path))
    wait_ready(page)


def text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def alerts(page, kind: str = "") -> list[str]:
    """The texts of the visible alert boxes (success, info, warning, error), optionally only
    those of one kind (``stAlertContentSuccess``… as ``success``)."""
    boxes = page.locator("[data-testid='stMain'] [data-testid='stAlertContainer']")
    out = []
    for i in range(boxes.count()):
        box = boxes.nth(i)
        if not box.is_visible():
            continue
        if kind and box.locator(f"[data-testid='stAlertContent{kind.capitalize()}']").count() == 0:
            continue
        body = box.locator("[data-testid='stMarkdownContainer']")
        out.append("\n".join(body.all_inner_texts()).strip() if body.count()
                   else box.inner_text().strip())  # without the icon's ligature name
    return out


def metrics(page) -> dict[str, str]:
    """The visible ``st.metric`` values by their label."""
    out = {}
    boxes = page.locator("[data-testid='stMain'] [data-testid='stMetric']")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        if box.is_visible():
            label = box.locator("[data-testid='stMetricLabel']").inner_text().strip()
            out[label] = box.locator("[data-testid='stMetricValue']").inner_text().strip()
    return out


CHART_LABELS_JS = """els => els.filter(e => e.offsetParent !== null).map(e => {
  const gd = e.querySelector('.js-plotly-plot');
  const L = (gd && gd._fullLayout) || {};
  const t = v => (v && typeof v === 'object') ? String(v.text || '') : String(v || '');
  const axes = Object.keys(L).filter(k => /^[xy]axis\\d*$/.test(k) && L[k].visible !== false)
      .map(k => [k, t(L[k].title)]);
  const coloraxes = Object.keys(L).filter(k => /^coloraxis\\d*$/.test(k)).length;
  const data = (gd && gd._fullData) || [];
  return {title: t(L.title), axes: axes, traces: data.length,
          named: data.filter(d => d.name && d.showlegend !== false).length,
          legend: !!L.showlegend, annotations: (L.annotations || []).length,
          types: data.map(d => d.type), coloraxes: coloraxes,
          rendered: !!gd, height: e.getBoundingClientRect().height};
})"""


def charts(page) -> list[dict]:
    """Each visible Plotly chart: its title, axis titles, traces and legend (read from the
    figure Plotly drew, so a chart whose labels were lost shows here)."""
    page.wait_for_timeout(300)
    return page.eval_on_selector_all("[data-testid='stPlotlyChart']", CHART_LABELS_JS)


PLACEHOLDER = "Click to enter"  # what Plotly reports for an axis title never set


def unlabelled(found: list[dict]) -> list[str]:
    """The charts of ``charts()`` a reader could not interpret: no title, or (a chart with
    axes) no x axis or no y axis with a title. Subplots sharing an x axis title it once."""
    bad = []
    for c in found:
        if not c["rendered"]:
            bad.append(f"a chart that did not render: {c}")
            continue
        titled = {k[0] for k, title in c["axes"] if title and not title.startswith(PLACEHOLDER)}
        has_axes = {k[0] for k, _ in c["axes"]}
        if not c["title"] or c["title"].startswith(PLACEHOLDER):
            bad.append(f"a chart without a title: {c}")
        elif has_axes - titled:
            bad.append(f"{c['title']!r}: no title on its {'/'.join(sorted(has_axes - titled))} "
                       f"axis: {c}")
    return bad


GRID_JS = """els => els.filter(e => e.offsetParent !== null).map(e => {
  const t = e.querySelector('table[role="grid"]');
  if (!t) return [];
  return Array.from(t.querySelectorAll('tr')).map(
      r => Array.from(r.querySelectorAll('th, td')).map(c => c.textContent.trim()));
})"""


def grids(page) -> list[list[list[str]]]:
    """The visible ``st.dataframe`` tables as rows of cell texts (read from the grid's
    accessible table: the drawn cells are a canvas, which ``inner_text`` cannot see)."""
    return page.eval_on_selector_all("[data-testid='stMain'] [data-testid='stDataFrame']",
                                     GRID_JS)


def all_text(page) -> str:
    """What the main area reads, the visible tables' cells included (one row per line)."""
    rows = ["\t".join(r) for g in grids(page) for r in g]
    return text(page) + "\n" + "\n".join(rows)
