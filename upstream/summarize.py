"""Per suite and target: tests / passed / failed / skipped / xfailed, from the junit reports.

Usage: ``summarize.py WORK SECONDS SUITE...`` (``WORK/<suite>-<target>.xml``, written by
``run_saver_suites.sh``; ``TARGETS`` in the environment, as for that script, names the targets
that ran: default both). Prints the table, then every failing test of target ``django`` (a DjangoSaver
defect: the known upstream failures are strict xfails and skips carry their reason), then one
closing ``N passed, N failed, N skipped`` line over all suites and targets.
"""
from __future__ import annotations

import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

TARGETS = {"django": "DjangoSaver", "upstream": "upstream's class"}
UPSTREAM_CLASS = {
    "checkpoint-postgres": "PostgresSaver", "checkpoint-sqlite": "SqliteSaver",
    "checkpoint-memory": "InMemorySaver", "langgraph": "PostgresSaver",
    "langchain-postgres": "PostgresChatMessageHistory",
}


def counts(report: Path) -> tuple[dict[str, int], list[str]]:
    c = {"tests": 0, "passed": 0, "failed": 0, "skipped": 0, "xfailed": 0}
    failed: list[str] = []
    for case in ET.parse(report).getroot().iter("testcase"):
        c["tests"] += 1
        skipped = case.find("skipped")
        if case.find("failure") is not None or case.find("error") is not None:
            c["failed"] += 1
            failed.append(f"{case.get('classname')}::{case.get('name')}")
        elif skipped is not None:
            c["xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"] += 1
        else:
            c["passed"] += 1
    return c, failed


def main(work: str, seconds: str, suites: list[str]) -> int:
    lines = [f"upstream saver/history suites ({int(seconds) // 60} min {int(seconds) % 60} s)",
             f"{'suite':<21}{'class':<28}{'tests':>6}{'passed':>8}{'failed':>8}{'skipped':>9}{'xfail':>7}"]
    total = {"passed": 0, "failed": 0, "skipped": 0}
    ours: list[str] = []
    for suite in suites:
        for target in os.environ.get("TARGETS", " ".join(TARGETS)).split():
            report = Path(work) / f"{suite}-{target}.xml"
            name = "DjangoSaver" if target == "django" else UPSTREAM_CLASS[suite]
            if suite == "langchain-postgres" and target == "django":
                name = "DjangoChatMessageHistory"
            if not report.exists():
                lines.append(f"{suite:<21}{name:<28}  (no report)")
                total["failed"] += 1
                continue
            c, failed = counts(report)
            lines.append(f"{suite:<21}{name:<28}{c['tests']:>6}{c['passed']:>8}{c['failed']:>8}"
                         f"{c['skipped']:>9}{c['xfailed']:>7}")
            total["passed"] += c["passed"]
            total["failed"] += c["failed"]
            total["skipped"] += c["skipped"] + c["xfailed"]
            ours += [f"  {suite} ({name}): {t}" for t in failed]
    if ours:
        lines.append("failing (not in upstream/saver_expected.txt):")
        lines += ours
    lines.append(f"upstream: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
