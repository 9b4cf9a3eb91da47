"""Summarise a junit XML report of an upstream suite run with upstream/store_plugin.py.

Usage: ``check_expected.py REPORT.xml``. The plugin has already applied the list of known
differences (``upstream/store_expected_failures.txt``) as strict xfails and skips, so every
failure or error left in the report is DjangoStore's defect (an xfail that passed is one too:
strict). Prints the counts and every failure; exits 1 if there is one.
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def main(report: str) -> int:
    failed, passed, skipped, xfailed = [], [], [], []
    for case in ET.parse(report).getroot().iter("testcase"):
        path = case.get("classname", "").replace(".", "/") + ".py"
        test_id = f"{path}::{case.get('name')}"
        skip = case.find("skipped")
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(test_id)
        elif skip is not None and skip.get("type") == "pytest.xfail":
            xfailed.append(test_id)
        elif skip is not None:
            skipped.append(test_id)
        else:
            passed.append(test_id)
    total = len(failed) + len(passed) + len(skipped) + len(xfailed)
    print(f"  tests {total}, passed {len(passed)}, failed {len(failed)}, xfailed {len(xfailed)} (known differences), "
          f"skipped {len(skipped)}")
    for t in failed:
        print(f"  FAILURE {t}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
