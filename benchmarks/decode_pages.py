"""Decoding cost of a bulk fetch: webwork-async's answer decoding against common baselines.

Decodes (and keeps, as a bulk job does) N pages of 100 realistic projects each, with:
- webwork-async: the client's own decode path (lax, cached decoder, ``gc=False`` Structs);
- msgspec, ordinary Structs: the same fields with garbage collection tracking left on;
- json.loads: plain dicts, no types and no validation at all.

Rounds are interleaved so that machine noise hits every variant alike; the median is reported
with the ratio to webwork-async (a ratio above 1 means slower than webwork-async).

    .venv/bin/python benchmarks/decode_pages.py [--pages 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable

import msgspec

from webwork_async import Project, ProjectTag
from webwork_async._protocol import decode_answer


def gc_tracked_copy(
    model: type[msgspec.Struct], nested: dict[object, object] | None = None
) -> type[msgspec.Struct]:
    """The same fields as ``model`` on an ordinary Struct, which the garbage collector tracks.

    ``nested`` swaps field types, so that nested models can be tracked copies too.
    """
    swap = nested or {}
    fields = [
        (
            info.name,
            swap.get(info.type, info.type),
            msgspec.field(
                default=info.default,
                default_factory=info.default_factory,
                name=info.encode_name,
            ),
        )
        for info in msgspec.structs.fields(model)
    ]
    return msgspec.defstruct(f"Tracked{model.__name__}", fields, kw_only=True)


PlainProject = gc_tracked_copy(
    Project,
    {list[ProjectTag]: list[gc_tracked_copy(ProjectTag)]},  # type: ignore[misc]
)


class PlainEnvelope(msgspec.Struct):
    success: bool
    data: list[PlainProject] | None  # type: ignore[valid-type]
    message: str | None = None


def page_body(page: int) -> bytes:
    """One page of 100 projects, shaped like the service's answers."""
    projects = [
        {
            "id": page * 100 + n,
            "name": f"Project {page}-{n}",
            "owner_id": 10,
            "start_date": "2024-01-15",
            "deadline": "2024-03-31",
            "estimation": 120,
            "budget_estimation": 5000,
            "notes": "Focus on social media channels",
            "icon": "project-icon-1",
            "is_billable": True,
            "rate": 0,
            "weekly_hours_limit": 168,
            "screenshots": "blur",
            "tags": [{"id": 5, "name": "Marketing", "color": "#FF5733"}],
            "contracts_count": 3,
            "status": 1,
            "created_at": "2024-01-15T09:00:00.000000Z",
            "updated_at": "2024-01-15T09:00:00.000000Z",
            "deleted_at": None,
        }
        for n in range(100)
    ]
    meta = {"api_version": "2.0.0", "timestamp": "2026-11-28T12:00:00Z"}
    return msgspec.json.encode({"success": True, "data": projects, "meta": meta})


def ours(body: bytes) -> object:
    return decode_answer(
        list[Project] | None, status=200, body=body, method="GET", url="u", headers={}
    ).data


_plain_decoder = msgspec.json.Decoder(PlainEnvelope, strict=False)


def ordinary_structs(body: bytes) -> object:
    return _plain_decoder.decode(body).data


def json_loads(body: bytes) -> object:
    return json.loads(body)["data"]


VARIANTS: dict[str, Callable[[bytes], object]] = {
    "webwork-async": ours,
    "msgspec, ordinary Structs": ordinary_structs,
    "json.loads (dicts, untyped)": json_loads,
}


def run_once(decode: Callable[[bytes], object], bodies: list[bytes]) -> float:
    kept: list[object] = []
    gc.collect()
    started = time.perf_counter()
    for body in bodies:
        kept.append(decode(body))
    elapsed = time.perf_counter() - started
    del kept
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bodies = [page_body(page) for page in range(args.pages)]
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.rounds):
        for name, decode in VARIANTS.items():
            times[name].append(run_once(decode, bodies))
    medians = {name: statistics.median(values) for name, values in times.items()}
    reference = medians["webwork-async"]
    items = args.pages * 100
    print(f"decode and keep {args.pages} pages x 100 projects, median of {args.rounds} rounds")
    print(f"{'variant':30} {'seconds':>8} {'items/s':>11} {'ratio':>6}")
    for name, seconds in medians.items():
        print(f"{name:30} {seconds:8.3f} {items / seconds:11,.0f} {seconds / reference:6.2f}")


if __name__ == "__main__":
    main()
