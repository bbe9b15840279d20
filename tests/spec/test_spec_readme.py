"""The README's "API coverage" table and the spec tell the same story: the same operations,
each with the same confidence in the docs behind it."""

from __future__ import annotations

import re

from spec_helpers import SPEC_PATH, load_spec

README = SPEC_PATH.parents[1] / "README.md"
ROW = re.compile(r"^\| (GET|POST|PUT|DELETE) \| `([^`]+)` \| `[^`]+` \| (confirmed|inferred) \|")


def test_the_coverage_table_lists_every_operation_of_the_spec_with_its_confidence() -> None:
    table = {
        (match[1], match[2]): match[3]
        for line in README.read_text(encoding="utf-8").splitlines()
        if (match := ROW.match(line))
    }
    spec = load_spec()
    documented = {
        (method.upper(), path): operation["x-confidence"]
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "delete")
    }
    assert len(table) == 63
    assert table == documented
