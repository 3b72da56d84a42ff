"""axe-core on a Playwright page: the serious and critical accessibility violations it finds now.

Shared by the pane's and the workspace's browser tests. axe's source is evaluated through the
devtools protocol, not an inline <script>, so the page's CSP stays on.
"""
from __future__ import annotations

SERIOUS = ("serious", "critical")
_RUN = """async () => {
    const r = await axe.run(document);
    return {passes: r.passes.length,
            violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))};
}"""


def serious_violations(page, axe_source: str, minimum_passes: int = 10) -> list[dict]:
    page.evaluate(axe_source)
    result = page.evaluate(_RUN)
    assert result["passes"] >= minimum_passes, "axe-core checked almost nothing: did it run on the page?"
    return [v for v in result["violations"] if v["impact"] in SERIOUS]
