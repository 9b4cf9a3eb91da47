"""Compare a junit XML report with the list of upstream tests DjangoStore fails on purpose.

Usage: ``check_expected.py REPORT.xml EXPECTED.txt``. ``EXPECTED.txt`` has one test id per line
(``tests/test_store.py::name``: every parametrization of it; or one ``name[params]``), then ``#`` and the reason. Prints
the counts, every unexpected failure and every expected failure that passed; exits 1 on an
unexpected failure.
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def main(report: str, expected_path: str) -> int:
    expected = []
    for line in open(expected_path, encoding="utf-8"):
        pattern = line.split("#", 1)[0].strip()
        if pattern:
            expected.append(pattern)
    failed, passed, skipped = [], [], []
    for case in ET.parse(report).getroot().iter("testcase"):
        path = case.get("classname", "").replace(".", "/") + ".py"
        test_id = f"{path}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(test_id)
        elif case.find("skipped") is not None:
            skipped.append(test_id)
        else:
            passed.append(test_id)
    def listed(test_id: str) -> bool:
        return any(test_id == p or test_id.startswith(p + "[") for p in expected)

    unexpected = [t for t in failed if not listed(t)]
    fixed = [t for t in passed if listed(t)]
    print(f"  tests {len(failed) + len(passed) + len(skipped)}, passed {len(passed)}, failed {len(failed)} "
          f"({len(failed) - len(unexpected)} expected), skipped {len(skipped)}")
    for t in unexpected:
        print(f"  UNEXPECTED FAILURE {t}")
    for t in fixed:
        print(f"  expected to fail but passed: {t}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
