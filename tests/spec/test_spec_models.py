"""The spec itself, and the models against its schemas.

The spec is valid OpenAPI 3.0.3 and states what the project promises: the 63 operations of the
references with their doc slugs as operationIds, an ``x-confidence`` each and an example on every
answer that fits its own schema.

Each model exported by :mod:`webwork_async.models` (plus the envelope's ``Meta`` and
``ErrorBody``) is walked with :func:`msgspec.inspect.type_info` against
``components/schemas/<ClassName>``: the same fields under their JSON names, a type that accepts
every value the schema allows (a nullable field takes None, a number takes 1.5 ...), no field
required by the model that the spec does not require, and None or an empty collection as the
default of the others. Then objects built from each schema (every field; every nullable field
null; only the required fields; the last value of each enum) must decode. The test is generic:
a model added to ``__all__`` is covered at once, and must have its schema, unless it is one of
the few that the client builds itself (:data:`CLIENT_ONLY`: no answer has that shape, so the
spec has no schema of that name); each field of those is checked against the schema it comes
from.
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Iterator
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from spec_helpers import component_schema, flatten, load_spec, operations, ref_name, resolve

import webwork_async.models as models
from webwork_async.models import _base

#: The objects of the API that the spec names and the client models (reference §3, §2.4-2.6;
#: reference-time §1-§7).
OBJECT_SCHEMAS = (
    "Workspace",
    "Member",
    "Invitation",
    "Project",
    "ProjectTag",
    "Contract",
    "Task",
    "TaskAssignee",
    "ProjectViewer",
    "ViewerProject",
    "Webhook",
    "TrackingStart",
    "TrackingStop",
    "CurrentTracker",
    "Timesheet",
    "TimesheetDay",
    "TimeRequest",
    "TimeEntry",
    "Leave",
    "LeaveTotal",
    "LeaveBalance",
    "LeaveTypeBalance",
    "Expense",
    "TrackedHoursReport",
    "TrackedHoursDay",
    "TrackedMinutes",
    "TimelineUser",
    "TimelineEntry",
    "AttendanceUser",
    "TaskReportUser",
    "TaskTime",
    "ActivityLevelUser",
    "Pagination",
    "Meta",
    "ErrorBody",
)

#: Models the client builds itself instead of decoding them from an answer, so the spec has no
#: schema of that name (the spec describes the API, not the client): for each, the schema it is
#: made from, its fields named otherwise there (None: the client adds it), and why.
CLIENT_ONLY: dict[str, tuple[str, dict[str, str | None], str]] = {
    "TimeEntrySaved": (
        "TimeEntryCreateResponse",
        {"entry": "data"},
        "create time entry's whole answer: `saved_minutes` and `message` beside `data`",
    ),
    "TrackedHoursRow": (
        "TrackedMinutes",
        {"day": None, "date": None},
        "a row of TrackedHoursReport.rows(): one TrackedMinutes and its day (a key of `days`, "
        "as sent and as a date)",
    ),
}

#: Fields of a schema that its model leaves out on purpose, with the reason.
KNOWN_GAPS = {
    ("Task", "has_details"): "[inferred] name of a cut field (legacy v1); the model skips it",
    ("ErrorBody", "meta"): "the client reads an error's message, not its meta",
}

#: Operations of reference §1 but #34 (GET /webhooks/{webhookId}, not in the V2 docs), then those
#: of reference-time §1-§7 (Time Tracking, Timesheets, Time Requests; Time Entries, Leaves,
#: Expenses, Reports).
OPERATION_IDS = (
    "getworkspaces",
    *("getmembers", "invitemember", "getmember", "updatemember", "deletemember"),
    *("getprojects", "createproject", "getproject", "updateproject", "deleteproject"),
    *("getcontracts", "createcontract", "getcontract", "updatecontract", "deletecontract"),
    *("gettasks", "createtask", "gettask", "updatetask", "deletetask"),
    *("assigntask", "unassigntask", "gettaskassignees"),
    *("getprojectviewers", "createprojectviewer", "getprojectviewer", "deleteprojectviewer"),
    *("restoreprojectviewer", "assignprojecttoviewer", "unassignprojectfromviewer"),
    *("getwebhooks", "createwebhook", "updatewebhook", "deletewebhook"),
    *("starttimetracking", "stoptimetracking", "getcurrenttrackerdata"),
    *("gettimesheets", "approvetimesheet", "rejecttimesheet", "submittimesheet"),
    "unsubmittimesheet",
    *("gettimerequests", "createtimerequest", "gettimerequest"),
    *("approvetimerequest", "rejecttimerequest"),
    *("gettimeentries", "createtimeentry", "updatetimeentry", "deletetimeentry"),
    *("getleaves", "createleaverequest", "getleavebalances"),
    *("getexpenses", "createexpense", "updateexpense"),
    *("gettrackedhoursreport", "getdailytimelinereport", "getdailyattendancereport"),
    *("gettaskreport", "getactivitylevelreport"),
)

#: The pattern of "YYYY-MM-DD HH:MM:SS" strings (workspace ``activated_at``): a model may decode
#: them as naive datetimes, since the pattern admits real dates only (proved below).
SQL_DATETIME = component_schema("Workspace")["properties"]["activated_at"]["pattern"]


def _exported(kind: type) -> dict[str, Any]:
    found = {}
    for name in models.__all__:
        value = getattr(models, name)
        if isinstance(value, type) and issubclass(value, kind):
            found[name] = value
    return found


def _models() -> dict[str, type[msgspec.Struct]]:
    """Every exported model but the client-only ones, plus the envelope's own models that the
    package keeps private."""
    exported = {n: m for n, m in _exported(msgspec.Struct).items() if n not in CLIENT_ONLY}
    return {**exported, "Meta": _base.Meta, "ErrorBody": _base.ErrorBody}


MODELS = _models()
ENUMS = _exported(enum.Enum)


# --- the spec on its own ------------------------------------------------------------------


def test_spec_is_valid_openapi_3_0() -> None:
    spec = load_spec()
    assert spec["openapi"] == "3.0.3"
    validate_openapi(spec)
    assert [server["url"] for server in spec["servers"]] == [
        "https://api.webwork-tracker.com/api/v2"
    ]
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        **spec["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }


def test_spec_states_every_operation_once_with_its_confidence() -> None:
    found = [op.operation_id for op in operations()]
    assert sorted(found) == sorted(OPERATION_IDS)
    assert len(found) == len(set(found)) == 63
    for op in operations():
        assert op.definition.get("x-confidence") in ("confirmed", "inferred"), op.label
        assert op.definition.get("summary"), op.label
        statuses = set(op.definition["responses"])
        assert {"400", "401", "403", "404", "422", "429"} <= statuses, op.label


def test_writes_take_workspace_id_in_the_body_and_reads_in_the_query() -> None:
    for op in operations():
        if op.operation_id == "getworkspaces":
            continue
        parameters = [resolve(p) for p in op.definition.get("parameters", ())]
        in_query = any(p["name"] == "workspace_id" and p["in"] == "query" for p in parameters)
        body = op.request_schema()
        if op.method == "get":
            assert in_query and body is None, op.label
        else:
            assert not in_query, op.label
            assert body is not None and "workspace_id" in body["required"], op.label


def _validate(instance: Any, schema: dict[str, Any], where: str) -> None:
    """Validate as OpenAPI 3.0 does; the schema's references resolve within the spec."""
    document = {**load_spec(), "x-under-test": schema}
    resource = Resource.from_contents(document, default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource("urn:spec", resource)
    validator = OAS30Validator({"$ref": "urn:spec#/x-under-test"}, registry=registry)
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]
    assert not problems, f"{where}: does not fit its schema: {problems}"


def _examples() -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(where, example, schema) for every example of the spec."""
    spec = load_spec()
    for op in operations():
        for status, answer in op.definition["responses"].items():
            media = resolve(answer)["content"]["application/json"]
            assert "example" in media, f"{op.label} {status} has no example"
            yield f"{op.label} {status}", media["example"], media["schema"]
        body = op.definition.get("requestBody")
        if body is not None:
            media = resolve(body)["content"]["application/json"]
            yield f"{op.label} request body", media["example"], media["schema"]
    for name, schema in spec["components"]["schemas"].items():
        if "example" in schema:
            yield f"components/schemas/{name}", schema["example"], schema


def test_every_example_fits_its_schema() -> None:
    seen = 0
    for where, example, schema in _examples():
        _validate(example, schema, where)
        seen += 1
    assert seen > 63 * 6


def test_list_examples_are_one_complete_page() -> None:
    """A paginator walking a static mock must stop after the first page."""
    for op in operations():
        _status, schema, example = op.success()
        pagination = example["meta"].get("pagination")
        if schema["properties"]["data"].get("type") == "array" and pagination is not None:
            assert pagination["last_page"] == pagination["current_page"] == 1, op.label
            assert pagination["total"] == len(example["data"]), op.label


@settings(max_examples=500, derandomize=True, database=None)
@given(st.from_regex(SQL_DATETIME, fullmatch=True))
def test_sql_datetime_pattern_admits_real_datetimes_only(text: str) -> None:
    decoded = msgspec.json.decode(msgspec.json.encode(text), type=datetime.datetime)
    assert decoded.strftime("%Y-%m-%d %H:%M:%S") == text


@pytest.mark.parametrize(
    ("text", "admitted"),
    [
        ("2025-02-19 19:24:55", True),
        ("2024-02-29 00:00:00", True),
        ("2000-02-29 23:59:59", True),
        ("1900-02-29 12:00:00", False),
        ("2025-02-29 12:00:00", False),
        ("2025-11-31 12:00:00", False),
        ("2025-12-31 24:00:00", False),
        ("0000-00-00 00:00:00", False),
        ("2025-02-19T19:24:55", False),
    ],
)
def test_sql_datetime_pattern(text: str, admitted: bool) -> None:
    assert bool(re.fullmatch(SQL_DATETIME, text)) is admitted


# --- the models against the schemas --------------------------------------------------------


def test_every_object_schema_has_a_model() -> None:
    missing = [name for name in OBJECT_SCHEMAS if name not in MODELS]
    assert not missing, f"schemas without a model in webwork_async.models: {missing}"


def test_every_exported_enum_lists_the_values_of_its_schema() -> None:
    schemas = load_spec()["components"]["schemas"]
    for name, members in ENUMS.items():
        assert name in schemas, f"enum {name} has no schema of that name in the spec"
        assert {member.value for member in members} == set(schemas[name]["enum"]), name


def _members(model_type: mi.Type) -> list[mi.Type]:
    return list(model_type.types) if isinstance(model_type, mi.UnionType) else [model_type]


def _scalar_accepts(member: mi.Type, schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if isinstance(member, mi.AnyType):
        return True
    if isinstance(member, (mi.LiteralType, mi.EnumType)):
        values = (
            set(member.values)
            if isinstance(member, mi.LiteralType)
            else {item.value for item in member.cls}
        )
        return "enum" in schema and {v for v in schema["enum"] if v is not None} <= values
    if kind == "integer":
        return isinstance(member, (mi.IntType, mi.FloatType))
    if kind == "number":
        return isinstance(member, mi.FloatType)
    if kind == "boolean":
        return isinstance(member, mi.BoolType)
    if kind == "string":
        if isinstance(member, mi.StrType):
            return member.pattern is None and member.min_length is None
        shape = schema.get("format")
        if shape == "date":
            return isinstance(member, mi.DateType)
        if shape == "date-time":
            return isinstance(member, mi.DateTimeType) and member.tz is None
        return isinstance(member, mi.DateTimeType) and schema.get("pattern") == SQL_DATETIME
    return False


def _type_problems(model_type: mi.Type, declared: Any, where: str) -> list[str]:
    """Why ``model_type`` would refuse some value that the schema ``declared`` allows."""
    schema = flatten(declared)
    members = _members(model_type)
    problems = []
    if schema.get("nullable") and not any(
        isinstance(m, (mi.NoneType, mi.AnyType)) for m in members
    ):
        problems.append(f"{where}: nullable in the spec, the model refuses null")
    candidates = [m for m in members if not isinstance(m, mi.NoneType)]
    name = ref_name(declared)
    if schema.get("type") == "object" and name is not None:
        if not any(isinstance(m, mi.StructType) and m.cls.__name__ == name for m in candidates):
            problems.append(f"{where}: the spec has a {name}, the model {model_type}")
        return problems
    if schema.get("type") == "array":
        lists = [m for m in candidates if isinstance(m, (mi.ListType, mi.TupleType, mi.AnyType))]
        if not lists:
            return [*problems, f"{where}: an array in the spec, the model has {model_type}"]
        if isinstance(lists[0], mi.AnyType):
            return problems
        item_problems = [_type_problems(m.item_type, schema["items"], f"{where}[]") for m in lists]
        return problems + min(item_problems, key=len)
    if schema.get("type") == "object":
        maps = [m for m in candidates if isinstance(m, mi.DictType)]
        if not maps:
            return [*problems, f"{where}: an object in the spec, the model has {model_type}"]
        value_schema = schema.get("additionalProperties", {})
        value_problems = [_type_problems(m.value_type, value_schema, f"{where}{{}}") for m in maps]
        return problems + min(value_problems, key=len)
    if not any(_scalar_accepts(m, schema) for m in candidates):
        problems.append(f"{where}: the spec has {_describe(schema)}, the model {model_type}")
    return problems


def _describe(schema: dict[str, Any]) -> str:
    keys = ("type", "format", "pattern", "enum")
    return ", ".join(f"{key}={schema[key]!r}" for key in keys if key in schema)


def _sensible_default(field: mi.Field) -> bool:
    """None (or UNSET) for a value, an empty list or dict for a collection: a field the answer
    leaves out never looks like a value the service sent."""
    if field.default_factory is not msgspec.NODEFAULT:
        return field.default_factory in (list, dict)
    return field.default is None or field.default is msgspec.UNSET


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_fields_agree_with_the_schema(name: str) -> None:
    spec_schemas = load_spec()["components"]["schemas"]
    assert name in spec_schemas, f"model {name} has no components/schemas/{name}"
    schema = component_schema(name)
    properties, required = schema["properties"], set(schema.get("required", ()))
    fields = {field.encode_name: field for field in mi.type_info(MODELS[name]).fields}

    undocumented = sorted(set(fields) - set(properties))
    assert not undocumented, f"{name}: model fields the spec does not have: {undocumented}"
    left_out = sorted(set(properties) - set(fields) - {f for n, f in KNOWN_GAPS if n == name})
    assert not left_out, f"{name}: spec fields the model does not have: {left_out}"

    problems = []
    for json_name, field in fields.items():
        where = f"{name}.{json_name}"
        if field.required and json_name not in required:
            problems.append(f"{where}: required by the model, optional in the spec")
        if not field.required and not _sensible_default(field):
            problems.append(f"{where}: a field left out must not default to {field.default!r}")
        problems += _type_problems(field.type, properties[json_name], where)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(CLIENT_ONLY))
def test_client_only_model_is_made_of_its_schema(name: str) -> None:
    """A model the client builds has no schema of its own; each field it takes from the schema
    it is made of has that field's type there."""
    source, renamed, _why = CLIENT_ONLY[name]
    assert isinstance(getattr(models, name, None), type), f"{name} is not exported"
    assert name not in load_spec()["components"]["schemas"], f"{name} is client-only"
    properties = component_schema(source)["properties"]
    problems = []
    for field in mi.type_info(getattr(models, name)).fields:
        json_name = renamed.get(field.encode_name, field.encode_name)
        if json_name is None:
            continue
        where = f"{name}.{field.encode_name} ({source}.{json_name})"
        if json_name not in properties:
            problems.append(f"{where}: not in the spec")
            continue
        if not field.required and not _sensible_default(field):
            problems.append(f"{where}: a field left out must not default to {field.default!r}")
        problems += _type_problems(field.type, properties[json_name], where)
    assert not problems, "\n".join(problems)


# --- objects built from the schemas decode -------------------------------------------------

_SAMPLE_STRINGS = {
    "date": "2024-02-29",
    "date-time": "2024-01-15T09:00:00.000000Z",
    "email": "someone@example.com",
    "uri": "https://example.com/some/where",
}


def _sample(declared: Any, mode: str, depth: int = 0) -> Any:
    """A value the schema allows. ``mode``: "full" (every field, no nulls), "nulls" (nullable
    fields null), "minimal" (required fields only), "last" (like full, last enum values)."""
    schema = flatten(declared)
    if mode == "nulls" and schema.get("nullable") and depth > 0:
        return None
    if "enum" in schema:
        values = [value for value in schema["enum"] if value is not None]
        return values[-1] if mode == "last" else values[0]
    kind = schema.get("type")
    if kind is None:  # no type: any JSON value (an object stands for them)
        return {"field": "some text"}
    if kind == "object" and "properties" in schema:
        wanted = schema.get("required", []) if mode == "minimal" else schema["properties"]
        return {key: _sample(schema["properties"][key], mode, depth + 1) for key in wanted}
    if kind == "object":
        return {"field": _sample(schema.get("additionalProperties", {}), mode, depth + 1)}
    if kind == "array":
        return [_sample(schema["items"], mode, depth + 1)]
    if kind == "integer":
        return 7
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "string":
        if "pattern" in schema:
            return "2025-02-19 19:24:55"
        return _SAMPLE_STRINGS.get(schema.get("format", ""), "some text")
    raise AssertionError(f"no sample for {schema}")


@pytest.mark.parametrize("mode", ["full", "nulls", "minimal", "last"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_decodes_what_the_schema_allows(name: str, mode: str) -> None:
    instance = _sample(load_spec()["components"]["schemas"][name], mode)
    _validate(instance, load_spec()["components"]["schemas"][name], f"sample of {name}")
    decoded = msgspec.json.decode(msgspec.json.encode(instance), type=MODELS[name])
    if mode == "full":
        fields = {field.encode_name: field.name for field in mi.type_info(MODELS[name]).fields}
        for json_name, value in instance.items():
            if json_name in fields and isinstance(value, (int, float, str, bool)):
                kept = getattr(decoded, fields[json_name])
                if isinstance(kept, (datetime.date, datetime.datetime)):
                    continue
                assert kept == value, f"{name}.{json_name}: sent {value!r}, decoded {kept!r}"
