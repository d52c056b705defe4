"""The brief as a Markdown document a stakeholder can read (``to_markdown``), and back
(``from_markdown``): one writer and one reader per section.

The export has a fixed shape: "## " sections, "- **Label:** value" bullets, tables with known
headers and "### Label" free-text blocks that run to the next heading. Lines of free text that
start with "#" or "\\" get a leading "\\" so they can never be read as a heading.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from core.scoping.brief import (
    TEXT_LABELS,
    Brief,
    BriefVersion,
    GovernanceItem,
    Milestone,
    default_governance,
    normalize_brief,
    parse_date,
)
from core.scoping.contract import (
    CONTRACT_NUMBER_LABELS,
    Baseline,
    Contract,
    MetricFloor,
    MetricTarget,
)
from core.scoping.validation import ScopingError
from core.scoping.vocabulary import (
    AUTOMATION,
    BASELINE_KINDS,
    GOVERNANCE_ITEMS,
    GOVERNANCE_STATUS,
    TASK_TYPES,
    comparison,
)

_EMPTY_TEXT = "_Not answered yet._"
_NONE = "—"
# the numbers listed under "ML and software metrics" (the costs sit under "Economic value")
_BUDGET_LABELS = {
    k: v for k, v in CONTRACT_NUMBER_LABELS.items() if k not in ("cost_fp", "cost_fn")
}


# ------------------------------------------------------------------- writing
def _num(v: float | None) -> str:
    if v is None:
        return _NONE
    return repr(float(v)).removesuffix(".0")


def _cols(cols: list[str]) -> str:
    return ", ".join(f"`{c}`" for c in cols) if cols else _NONE


def _cell(s: str) -> str:
    return s.replace("\\", "\\\\").replace("|", "\\|") if s else _NONE


def _text_block(label: str, text: str) -> list[str]:
    body = [("\\" + ln if ln.startswith(("#", "\\")) else ln) for ln in text.split("\n")]
    return [f"### {label}", "", *(body if text else [_EMPTY_TEXT]), ""]


def _texts(b: Brief, *keys: str) -> list[str]:
    return [line for key in keys for line in _text_block(TEXT_LABELS[key], getattr(b, key))]


def _bullet(label: str, value: str) -> str:
    return f"- **{label}:** {value if value else _NONE}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return [*out, ""]


def _write_problem(b: Brief) -> list[str]:
    automation = AUTOMATION[b.automation] if b.automation else ""
    return [
        "## Business problem",
        "",
        _bullet("Degree of automation", automation),
        "",
        *_texts(b, "problem", "decision"),
    ]


def _write_fx(b: Brief) -> list[str]:
    c = b.contract
    return [
        "## f(x) = y",
        "",
        _bullet("Task type", TASK_TYPES.get(c.task_type, c.task_type)),
        _bullet("Target column (y)", f"`{c.target_column}`" if c.target_column else ""),
        _bullet("Positive class", c.positive_class or ""),
        _bullet("Input columns (x)", _cols(c.feature_columns)),
        "",
        *_texts(b, "x_description", "y_description"),
    ]


def _write_economics(b: Brief) -> list[str]:
    c = b.contract
    return [
        "## Economic value",
        "",
        _bullet("Business metric", b.business_metric),
        _bullet("Unit", b.business_unit),
        _bullet("Current value", _num(b.business_current)),
        _bullet("Target value", _num(b.business_target)),
        _bullet("Currency", b.currency),
        _bullet("Cost of a false positive", _num(c.cost_fp)),
        _bullet("Cost of a false negative", _num(c.cost_fn)),
        "",
    ]


def _write_metrics(b: Brief) -> list[str]:
    c = b.contract
    p = c.primary
    primary = f"{p.name} {comparison(p.name)} {_num(p.target)}" if p else ""
    return [
        "## ML and software metrics",
        "",
        _bullet("Primary metric", primary),
        "",
        *_table(
            ["Secondary metric", "Floor"],
            [[f.name, f"{comparison(f.name)} {_num(f.floor)}"] for f in c.secondary],
        ),
        *(_bullet(label, _num(getattr(c, key))) for key, label in _BUDGET_LABELS.items()),
        "",
    ]


def _write_baselines(b: Brief) -> list[str]:
    rows = [
        [BASELINE_KINDS[k], _num(bl.value), bl.metric, bl.source]
        for k, bl in b.contract.baselines.items()
        if k in BASELINE_KINDS
    ]
    return ["## Baselines", "", *_table(["Baseline", "Value", "Metric", "Source"], rows)]


def _write_feasibility(b: Brief) -> list[str]:
    return [
        "## Feasibility and diligence",
        "",
        *_texts(b, "feasibility_data", "feasibility_signal", "diligence"),
    ]


def _write_ethics(b: Brief) -> list[str]:
    return [
        "## Ethics",
        "",
        _bullet("Sensitive columns", _cols(b.contract.sensitive_columns)),
        "",
        *_texts(b, "affected_groups", "bias_risks"),
    ]


APPROVALS_LABEL = "Approvals required before promotion"


def _write_governance(b: Brief) -> list[str]:
    rows = [
        [label, b.governance[k].status, b.governance[k].note]
        for k, (label, _) in GOVERNANCE_ITEMS.items()
    ]
    return [
        "## Governance and regulation",
        "",
        _bullet(APPROVALS_LABEL, "yes" if b.require_approvals else "no"),
        "",
        *_table(["Governance item", "Status", "Note"], rows),
    ]


def _write_milestones(b: Brief) -> list[str]:
    rows = [
        [m.name, m.due.isoformat() if m.due else "", m.owner, "yes" if m.done else "no"]
        for m in b.milestones
    ]
    return [
        "## Milestones and resources",
        "",
        *_table(["Milestone", "Due", "Owner", "Done"], rows),
        *_texts(b, "resources"),
    ]


_WRITERS: tuple[Callable[[Brief], list[str]], ...] = (
    _write_problem,
    _write_fx,
    _write_economics,
    _write_metrics,
    _write_baselines,
    _write_feasibility,
    _write_ethics,
    _write_governance,
    _write_milestones,
)


def to_markdown(brief: Brief, title: str = "", version: BriefVersion | None = None) -> str:
    """The brief as a Markdown document a stakeholder can read; ``from_markdown`` reads it back.

    Examples
    --------
    >>> b = Brief(problem="Too many claims are investigated.", contract=Contract(cost_fp=40.0))
    >>> from_markdown(to_markdown(b)) == normalize_brief(b)
    True
    """
    b = normalize_brief(brief)
    lines = [f"# Project brief: {title}" if title else "# Project brief", ""]
    if version is not None:
        lines += [
            f"> Version {version.version}, saved {version.created_at:%Y-%m-%d %H:%M} UTC by "
            f"{version.created_by}. Exported from the ML Production Workbench.",
            "",
        ]
    for write in _WRITERS:
        lines += write(b)
    return "\n".join(lines).rstrip() + "\n"


def export_filename(project_name: str, version: int) -> str:
    """The download name of an exported brief.

    >>> export_filename("Claims triage (2025)", 3)
    'claims_triage_2025_brief_v3.md'
    """
    slug = re.sub(r"[^A-Za-z0-9]+", "_", project_name).strip("_").lower() or "project"
    return f"{slug}_brief_v{version}.md"


# ------------------------------------------------------------------- reading
_BULLET = re.compile(r"^- \*\*(.+?):\*\* ?(.*)$")
_SIGN = re.compile(r"^(≥|≤|>=|<=)\s*")


def _split_row(line: str) -> list[str]:
    """The cells of a table row, splitting on pipes not escaped by a backslash."""
    inner = line.strip().removeprefix("|")
    parts, buf, i = [], "", 0
    while i < len(inner):
        ch = inner[i]
        if ch == "\\" and i + 1 < len(inner):
            buf += inner[i : i + 2]
            i += 2
            continue
        if ch == "|":
            parts.append(buf)
            buf = ""
        else:
            buf += ch
        i += 1
    if buf.strip():
        parts.append(buf)
    return [re.sub(r"\\(.)", r"\1", p.strip()) for p in parts]


class _Document:
    """A parsed export: bullets by label, free texts by label, table rows by first header."""

    def __init__(self, text: str):
        self.bullets: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        texts: dict[str, list[str]] = {}
        in_section, text_label, table = False, None, None
        for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            if re.match(r"^#{1,6}(\s|$)", raw):
                level = len(raw) - len(raw.lstrip("#"))
                in_section, table = in_section or level == 2, None
                text_label = raw[level:].strip() if level >= 3 else None
                if text_label is not None:
                    texts[text_label] = []
            elif text_label is not None:
                texts[text_label].append(raw.removeprefix("\\"))
            elif in_section:
                table = self._read_line(raw.strip(), table)
        joined = {k: "\n".join(v).strip() for k, v in texts.items()}
        self.texts = {k: "" if v == _EMPTY_TEXT else v for k, v in joined.items()}

    def _read_line(self, line: str, table: str | None) -> str | None:
        """Record a bullet or a table row; returns the table the next line continues."""
        if not line.startswith("|"):
            m = _BULLET.match(line)
            if m:
                self.bullets[m.group(1).strip()] = m.group(2).strip()
            return None
        cells = _split_row(line)
        if table is None:
            table = cells[0] if cells else ""
            self.tables[table] = []
        elif not all(re.fullmatch(r":?-+:?", c) for c in cells):
            self.tables[table].append(cells)
        return table

    def rows(self, header: str, width: int) -> list[list[str]]:
        """The rows of a table, padded to ``width`` cells, "—" read as empty."""
        return [
            [("" if c == _NONE else c) for c in [*row, *[""] * width][:width]]
            for row in self.tables.get(header, [])
        ]


class _Reader:
    """Reads typed values out of a document, collecting a message per unreadable field."""

    def __init__(self, doc: _Document):
        self.doc = doc
        self.errors: dict[str, list[str]] = {}

    def error(self, key: str, msg: str) -> None:
        self.errors.setdefault(key, []).append(msg)

    def get(self, label: str) -> str:
        v = self.doc.bullets.get(label, "").strip()
        return "" if v == _NONE else v

    def number_in(self, text: str, key: str, label: str) -> float | None:
        """The number in ``text`` (a leading ≥ / ≤ is dropped); None when empty."""
        v = _SIGN.sub("", text.strip())
        if v in ("", _NONE):
            return None
        try:
            return float(v)
        except ValueError:
            self.error(key, f"{label}: {v!r} is not a number.")
            return None

    def number(self, label: str, key: str) -> float | None:
        return self.number_in(self.get(label).replace(",", ""), key, label)

    def columns(self, label: str) -> list[str]:
        v = self.get(label)
        found = re.findall(r"`([^`]*)`", v)
        return found if found or not v else [s.strip() for s in v.split(",")]

    def choice(self, mapping: dict[str, str], value: str, key: str, label: str) -> str:
        """The key of ``value`` (a key or its label) in ``mapping``."""
        for k, lab in mapping.items():
            if value in (k, lab):
                return k
        self.error(key, f"{label}: {value!r} is not one of {', '.join(mapping.values())}.")
        return ""


def _read_primary(r: _Reader) -> MetricTarget | None:
    text = r.get("Primary metric")
    if not text:
        return None
    m = re.match(r"^`?(\w+)`?\s*(?:≥|≤|>=|<=)?\s*(.+)$", text)
    if m is None:
        r.error("primary", "Primary metric: write it as 'metric ≥ target', e.g. 'recall ≥ 0.8'.")
        return None
    value = r.number_in(m.group(2), "primary", "Primary metric")
    return None if value is None else MetricTarget(m.group(1), value)


def _read_secondary(r: _Reader) -> list[MetricFloor]:
    out = []
    for name, floor in r.doc.rows("Secondary metric", 2):
        value = r.number_in(floor, "secondary", f"Floor of {name}")
        if name and value is not None:
            out.append(MetricFloor(name, value))
    return out


def _read_baselines(r: _Reader) -> dict[str, Baseline]:
    out = {}
    for row in r.doc.tables.get("Baseline", []):
        label, value, metric, source = [*row, "", "", "", ""][:4]
        kind = r.choice(BASELINE_KINDS, label, "baselines", "Baseline")
        number = r.number_in(value, "baselines", f"Baseline {label}")
        if kind:
            out[kind] = Baseline(
                kind, number, "" if metric == _NONE else metric, "" if source == _NONE else source
            )
    return out


def _read_contract(r: _Reader) -> Contract:
    target = r.columns("Target column (y)")
    return Contract(
        task_type=r.choice(TASK_TYPES, r.get("Task type") or "binary", "task_type", "Task type")
        or "binary",
        target_column=target[0] if target else None,
        positive_class=r.get("Positive class") or None,
        feature_columns=r.columns("Input columns (x)"),
        primary=_read_primary(r),
        secondary=_read_secondary(r),
        **{key: r.number(label, key) for key, label in CONTRACT_NUMBER_LABELS.items()},
        sensitive_columns=r.columns("Sensitive columns"),
        baselines=_read_baselines(r),
    )


def _read_governance(r: _Reader) -> dict[str, GovernanceItem]:
    out = default_governance()
    keys = {label: k for k, (label, _) in GOVERNANCE_ITEMS.items()}
    for label, status, note in r.doc.rows("Governance item", 3):
        if label in keys:
            out[keys[label]] = GovernanceItem(
                status if status in GOVERNANCE_STATUS else "open", note
            )
    return out


def _read_milestones(r: _Reader) -> list[Milestone]:
    out = []
    for name, due_text, owner, done in r.doc.rows("Milestone", 4):
        try:
            due = parse_date(due_text) if due_text else None
        except ValueError:
            r.error(
                "milestones",
                f"Milestone {name!r}: {due_text!r} is not a date (use YYYY-MM-DD).",
            )
            due = None
        out.append(Milestone(name, due, owner, done.lower() in ("yes", "true", "x")))
    return out


def from_markdown(text: str) -> Brief:
    """Parse a brief written by ``to_markdown`` (possibly edited by hand).

    Raises ``ScopingError`` naming the field when a value cannot be read.
    """
    doc = _Document(text)
    if not doc.bullets and not doc.tables:
        raise ScopingError(
            {
                "import": [
                    "This file is not a project brief exported by the workbench: no "
                    "'- **Field:** value' lines were found."
                ]
            }
        )
    r = _Reader(doc)
    automation = r.get("Degree of automation")
    brief = Brief(
        **{key: doc.texts.get(label, "") for key, label in TEXT_LABELS.items()},
        automation=r.choice(AUTOMATION, automation, "automation", "Degree of automation")
        if automation
        else "",
        business_metric=r.get("Business metric"),
        business_unit=r.get("Unit"),
        business_current=r.number("Current value", "business_current"),
        business_target=r.number("Target value", "business_target"),
        currency=r.get("Currency"),
        contract=_read_contract(r),
        governance=_read_governance(r),
        require_approvals=r.get(APPROVALS_LABEL).lower() in ("yes", "true", "x"),
        milestones=_read_milestones(r),
    )
    if r.errors:
        raise ScopingError(r.errors)
    return normalize_brief(brief)
