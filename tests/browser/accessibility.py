"""Accessibility audits for the browser tests: axe-core on every page state a test visits.

axe-core comes inside the PyPI package ``axe-playwright-python`` (its ``axe.min.js``), so
nothing downloads a browser or a script at run time. Its ``Axe.run`` evaluates the script
through Playwright's ``page.evaluate`` (the DevTools protocol), which the pages'
Content-Security-Policy does not block, so the pages keep their real CSP during the tests.

When to audit: just before the test leaves a document. ``AccessibilityAudit.install`` wraps
the Playwright calls through which the tests navigate or submit (``Locator.click`` and
``press``, ``Page.goto``, ``reload``, ``go_back``): before one of them runs on a watched
page, the page's current document (a form with its errors, a step of a journey) is audited,
once. At the end of the test the pages' last documents are audited too. Findings are
collected and the test fails at teardown with a readable list.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

# WCAG 2.0/2.1 A and AA, and WCAG 2.2 AA (axe-core's tags for them).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

# Not an axe rule since WCAG 2.2 dropped success criterion 4.1.1, but a duplicate id still
# breaks label, aria-describedby and summary links: checked here on every page as well.
DUPLICATE_IDS = """() => {
  const counts = new Map();
  for (const element of document.querySelectorAll("[id]")) {
    counts.set(element.id, (counts.get(element.id) || 0) + 1);
  }
  return [...counts].filter(([, count]) => count > 1).map(([id]) => "#" + id);
}"""
MARK_AUDITED = """() => {
  const seen = window.__a11yAudited === true;
  window.__a11yAudited = true;
  return seen;
}"""


@dataclass(frozen=True)
class Finding:
    """One rule broken on one page: which rule, how bad, and where."""

    url: str
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.url}\n    [{self.impact}] {self.rule}: {self.help}\n    at " + (
            "\n       ".join(self.targets)
        )


class AccessibilityAudit:
    """Collects findings from the pages it watches; ``report()`` lists them."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.audited = 0
        self._axe = Axe()
        self._pages: set[Page] = set()

    def watch(self, page: Page) -> None:
        """Audit ``page``'s documents (once ``install`` has wrapped the navigating calls)."""
        self._pages.add(page)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Wrap the calls that leave a document so that it is audited first."""
        for cls, names, page_of in (
            (Locator, ("click", "press", "dblclick"), lambda locator: locator.page),
            (Page, ("goto", "reload", "go_back", "click", "press"), lambda page: page),
        ):
            for name in names:
                monkeypatch.setattr(cls, name, self._audit_first(getattr(cls, name), page_of))

    def _audit_first(self, method: Callable, page_of: Callable) -> Callable:
        @functools.wraps(method)
        def audited(target, *args, **kwargs):
            page = page_of(target)
            if page in self._pages:
                self.audit(page)
            return method(target, *args, **kwargs)

        return audited

    def audit(self, page: Page) -> None:
        """Run axe-core and the duplicate-id check on the page's current document, once."""
        if page.is_closed() or not page.url.startswith("http"):
            return
        try:
            # Stylesheets first: before they apply, sizes (target-size) are the browser's
            # defaults, and a click can come before the "load" event.
            page.wait_for_load_state("load", timeout=10_000)
            if page.evaluate(MARK_AUDITED):
                return
            violations = self._axe.run(page, options=AXE_OPTIONS).response["violations"]
            duplicates = page.evaluate(DUPLICATE_IDS)
        except PlaywrightError as exc:  # the document went away while being audited
            if "context was destroyed" in str(exc) or "navigation" in str(exc).lower():
                return
            raise
        self.audited += 1
        for violation in violations:
            self.findings.append(
                Finding(
                    url=page.url,
                    rule=violation["id"],
                    impact=violation.get("impact") or "",
                    help=violation["help"],
                    targets=tuple(" ".join(node["target"]) for node in violation["nodes"]),
                )
            )
        if duplicates:
            self.findings.append(
                Finding(
                    page.url, "duplicate-id", "serious", "ids must be unique", tuple(duplicates)
                )
            )

    def report(self) -> str:
        """The findings, one block per rule and page, for a test failure message."""
        unique = list(dict.fromkeys(self.findings))
        lines = [f"{len(unique)} accessibility violation(s) (WCAG 2.1 A/AA, 2.2 AA):"]
        lines += [f"  {finding}" for finding in unique]
        return "\n".join(lines)
