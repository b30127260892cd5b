"""What the simulator refuses, how Klaviyo words a refusal, and what it de-duplicates.

The JSON Schema converted from Klaviyo's OpenAPI description is permissive about
unknown keys and silent about phone formats, time bounds and sizes, yet the live API
refuses such bodies and the event is lost. These checks reproduce those refusals so that
a client meets them against the simulator first. Each refusal is a `Rejection` carrying
the parts of a JSON:API error object, and `error_document` writes it as Klaviyo does.
"""

from __future__ import annotations

import functools
import http
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

__all__ = [
    "JSON_API",
    "MAX_BODY_BYTES",
    "MAX_BULK_EVENTS",
    "Rejection",
    "check_api_key",
    "check_bulk_create",
    "check_content_type",
    "check_create_event",
    "check_revision",
    "error_document",
    "event_identity",
    "html_error_page",
    "injected_error",
    "method_not_allowed",
    "not_found",
    "parse_body",
    "throttled",
]

SCHEMA_FILE = "klaviyo-event-schema.json"
JSON_API = "application/vnd.api+json"

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_STRING_BYTES = 100 * 1024
MAX_PROPERTIES = 400
MAX_METRIC_NAME = 127
MAX_BULK_EVENTS = 1_000
MAX_DETAIL = 300

PROFILE_FIELDS = frozenset(
    {"email", "phone_number", "external_id", "anonymous_id", "_kx", "first_name"}
    | {"last_name", "organization", "locale", "title", "image", "location"}
    | {"properties", "meta"}
)
LOCATION_FIELDS = frozenset(
    {"address1", "address2", "city", "region", "zip", "country", "timezone", "ip"}
    | {"latitude", "longitude"}
)
IDENTIFIERS = ("email", "phone_number", "external_id")

PRIVATE_KEY = re.compile(r"pk_[A-Za-z0-9]{20,}")
REVISION = re.compile(r"\d{4}-\d{2}-\d{2}(\.[a-z]+)?")
E164 = re.compile(r"\+[1-9]\d{1,14}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

EARLIEST_TIME = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=365)

ROOT = "/data/"
BULK_ENTRIES = "/data/attributes/events-bulk-create/data"


class Rejection(Exception):
    """A request Klaviyo would refuse, with the parts of its JSON:API error object."""

    def __init__(
        self,
        detail: str,
        pointer: str = ROOT,
        *,
        status: int = 400,
        code: str = "invalid",
        title: str = "Invalid input.",
        parameter: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        # A detail may quote the offending value, which can be megabytes long.
        if len(detail) > MAX_DETAIL:
            detail = detail[:MAX_DETAIL] + "..."
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer
        self.status = status
        self.code = code
        self.title = title
        self.parameter = parameter
        self.headers = headers or {}


def check_api_key(
    authorization: str,
    *,
    revoked: AbstractSet[str],
    without_scope: AbstractSet[str],
) -> str:
    """The key of an `Authorization: Klaviyo-API-Key <key>` header, or a refusal."""
    scheme, _, key = authorization.partition(" ")
    key = key.strip()

    if scheme.lower() != "klaviyo-api-key" or not PRIVATE_KEY.fullmatch(key):
        raise _not_authenticated()
    if key in revoked:
        raise _not_authenticated()

    if key in without_scope:
        raise Rejection(
            "This API key is missing required scopes: events:write.",
            status=403,
            code="permission_denied",
            title="You do not have permission to perform this action.",
        )
    return key


def check_revision(revision: str, *, retired: AbstractSet[str]) -> None:
    """Refuse a missing or malformed `revision` header (400) or a retired one (410)."""
    if not revision:
        raise Rejection("The 'revision' header is required.", parameter="revision")
    if not REVISION.fullmatch(revision):
        raise Rejection(f"'{revision}' is not a valid revision.", parameter="revision")
    if revision in retired:
        raise Rejection(
            f"Revision {revision} has been retired; use a supported revision.",
            status=410,
            code="gone",
            title="This revision is no longer available.",
            parameter="revision",
        )


def check_content_type(content_type: str) -> None:
    """Refuse anything but JSON:API; parameters such as a charset may follow."""
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type != JSON_API:
        title = f'Unsupported media type "{content_type}" in request.'
        raise Rejection(title, status=415, code="unsupported_media_type", title=title)


def parse_body(raw: bytes) -> Any:
    """The request body as JSON, refusing what is too large or not JSON at all."""
    if len(raw) > MAX_BODY_BYTES:
        raise Rejection(
            f"The request body is larger than {MAX_BODY_BYTES} bytes.",
            status=413,
            code="request_too_large",
            title="Request entity too large.",
        )

    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise Rejection(f"Malformed JSON: {error}") from None


def check_create_event(document: Any) -> list[dict[str, Any]]:
    """The one event of a Create Event body, or the refusal the live API gives it."""
    _check_strings(document)
    _check_schema("create_event", document)

    attributes: dict[str, Any] = document["data"]["attributes"]
    pointer = "/data/attributes"
    _check_profile(attributes["profile"]["data"]["attributes"], f"{pointer}/profile")
    _check_event(attributes, pointer)
    return [attributes]


def check_bulk_create(document: Any) -> list[dict[str, Any]]:
    """Every event of a bulk body, each with its profile; one bad event fails all."""
    _check_strings(document)
    _check_schema("bulk_create_events", document)

    entries: list[dict[str, Any]] = document["data"]["attributes"][
        "events-bulk-create"
    ]["data"]
    total = sum(len(entry["attributes"]["events"]["data"]) for entry in entries)
    if total > MAX_BULK_EVENTS:
        raise Rejection(
            f"A bulk request holds at most {MAX_BULK_EVENTS} events, not {total}.",
            BULK_ENTRIES,
        )

    events: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        events.extend(_bulk_entry_events(entry, f"{BULK_ENTRIES}/{index}", seen))
    return events


def _bulk_entry_events(
    entry: dict[str, Any], pointer: str, seen: set[str]
) -> list[dict[str, Any]]:
    attributes = entry["attributes"]
    profile = attributes["profile"]
    _check_profile(profile["data"]["attributes"], f"{pointer}/attributes/profile")

    events = []
    for index, event in enumerate(attributes["events"]["data"]):
        event_pointer = f"{pointer}/attributes/events/data/{index}/attributes"
        _check_event(event["attributes"], event_pointer)
        unique_id = event["attributes"].get("unique_id")

        # Klaviyo refuses the whole request rather than pick one of the two events.
        if unique_id is not None and unique_id in seen:
            raise Rejection(
                f"The unique_id '{unique_id}' appears more than once in this request.",
                f"{event_pointer}/unique_id",
            )
        if unique_id is not None:
            seen.add(unique_id)
        events.append({**event["attributes"], "profile": profile})
    return events


@functools.cache
def _validators() -> dict[str, Any]:
    # The schema ships inside the package so that a wheel needs nothing beside it.
    schema_file = resources.files("klaviyo_toolkit").joinpath("schemas", SCHEMA_FILE)
    schemas = json.loads(schema_file.read_text(encoding="utf-8"))
    return {
        name: Draft202012Validator(_inline_refs(schemas[name], schemas[name]["$defs"]))
        for name in ("create_event", "bulk_create_events")
    }


def _inline_refs(node: Any, definitions: dict[str, Any]) -> Any:
    """The schema with every local `$ref` replaced by its definition.

    Resolving references costs jsonschema half its time on a 1,000-event bulk body;
    these schemas have no recursive definitions, so a copy without references is finite.
    """
    if isinstance(node, list):
        return [_inline_refs(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node

    inlined = {
        key: _inline_refs(value, definitions)
        for key, value in node.items()
        if key not in ("$ref", "$defs")
    }
    if "$ref" in node:
        target = _inline_refs(
            definitions[node["$ref"].removeprefix("#/$defs/")], definitions
        )
        inlined = {**target, **inlined}
    return inlined


@functools.cache
def _fast_validators() -> dict[str, Callable[[Any], Any]]:
    schema_file = resources.files("klaviyo_toolkit").joinpath("schemas", SCHEMA_FILE)
    schemas = json.loads(schema_file.read_text(encoding="utf-8"))
    return {
        # use_default=False: the compiled validator would otherwise write the schema's
        # defaults (backfill: false) into the body it checks, and the record with them.
        name: fastjsonschema.compile(
            _inline_refs(schemas[name], schemas[name]["$defs"]), use_default=False
        )
        for name in ("create_event", "bulk_create_events")
    }


def _check_schema(name: str, document: Any) -> None:
    # The compiled validator is some fifteen times faster and says yes for nearly every
    # body; jsonschema, the reference, judges only what it doubts and words the error.
    try:
        _fast_validators()[name](document)
        return
    except fastjsonschema.JsonSchemaException:
        pass

    error = best_match(_validators()[name].iter_errors(document))
    if error is None:
        return

    raise Rejection(error.message, _pointer(error.absolute_path))


def _check_strings(document: Any) -> None:
    # A stack rather than recursion: the depth of a body is the sender's choice.
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        pointer, node = stack.pop()
        if isinstance(node, str):
            _check_string_size(node, pointer or ROOT)
        elif isinstance(node, dict):
            for key, value in node.items():
                child = f"{pointer}/{_escape(key)}"
                _check_string_size(key, child)
                stack.append((child, value))
        elif isinstance(node, list):
            stack.extend(
                (f"{pointer}/{index}", item) for index, item in enumerate(node)
            )


def _check_string_size(value: str, pointer: str) -> None:
    # Four bytes per character at most, so a short string needs no encoding to pass.
    if len(value) <= MAX_STRING_BYTES // 4:
        return
    if len(value.encode("utf-8", "surrogatepass")) > MAX_STRING_BYTES:
        raise Rejection(f"A string is larger than {MAX_STRING_BYTES} bytes.", pointer)


def _check_profile(attributes: dict[str, Any], pointer: str) -> None:
    pointer = f"{pointer}/data/attributes"
    for name in attributes:
        if name not in PROFILE_FIELDS:
            raise _not_a_field(name, "profile", f"{pointer}/{_escape(name)}")

    location = attributes.get("location")
    for name in location or {}:
        if name not in LOCATION_FIELDS:
            raise _not_a_field(name, "location", f"{pointer}/location/{_escape(name)}")

    if not any(attributes.get(name) for name in IDENTIFIERS):
        raise Rejection(
            "A profile needs one of 'email', 'phone_number' or 'external_id'.", pointer
        )

    email = attributes.get("email")
    if email is not None and not EMAIL.fullmatch(email):
        raise Rejection("Invalid email address", f"{pointer}/email")

    phone = attributes.get("phone_number")
    if phone is not None and not E164.fullmatch(phone):
        raise Rejection("Invalid phone number format", f"{pointer}/phone_number")


def _check_event(attributes: dict[str, Any], pointer: str) -> None:
    moment = attributes.get("time")
    if moment is not None:
        _check_time(moment, f"{pointer}/time")

    name: str = attributes["metric"]["data"]["attributes"]["name"]
    if len(name) > MAX_METRIC_NAME:
        raise Rejection(
            "A metric name must be less than 128 characters.",
            f"{pointer}/metric/data/attributes/name",
        )

    if len(attributes["properties"]) > MAX_PROPERTIES:
        raise Rejection(
            f"An event has at most {MAX_PROPERTIES} properties.",
            f"{pointer}/properties",
        )


def _check_time(value: str, pointer: str) -> None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Rejection(f"'{value}' is not an ISO 8601 date-time.", pointer) from None

    if moment.tzinfo is None:
        raise Rejection(f"'{value}' has no UTC offset.", pointer)
    if moment < EARLIEST_TIME:
        raise Rejection("The time must be after the year 1990.", pointer)
    if moment > datetime.now(UTC) + LATEST_AHEAD:
        raise Rejection("The time can be at most one year in the future.", pointer)


def error_document(rejection: Rejection) -> dict[str, Any]:
    """Klaviyo's JSON:API error document for a refusal, with a fresh error id."""
    source = {"pointer": rejection.pointer}
    if rejection.parameter:
        source["parameter"] = rejection.parameter
    error = {
        "id": str(uuid.uuid4()),
        "status": rejection.status,
        "code": rejection.code,
        "title": rejection.title,
        "detail": rejection.detail,
        "source": source,
    }
    return {"errors": [error]}


def html_error_page(status: int) -> str:
    """The kind of page a CDN in front of Klaviyo answers instead of JSON."""
    title = f"{status} {_phrase(status)}"
    return (
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    )


def not_found(path: str) -> Rejection:
    return Rejection(
        f"No endpoint at {path}.", status=404, code="not_found", title="Not found."
    )


def method_not_allowed(method: str) -> Rejection:
    title = f'Method "{method}" not allowed.'
    return Rejection(
        title,
        status=405,
        code="method_not_allowed",
        title=title,
        headers={"Allow": "POST"},
    )


def throttled(wait: float) -> Rejection:
    """A 429 whose Retry-After is `wait` clock seconds, rounded up to a whole one."""
    seconds = max(1, math.ceil(wait))
    return Rejection(
        f"Request was throttled. Expected available in {seconds} seconds.",
        status=429,
        code="throttled",
        title="Request was throttled.",
        headers={"Retry-After": str(seconds)},
    )


def injected_error(status: int) -> Rejection:
    """A failure the simulator was told to inject."""
    if status == 429:
        return throttled(1.0)
    phrase = _phrase(status)
    return Rejection(
        "Injected by the simulator.",
        status=status,
        code=phrase.lower().replace(" ", "_"),
        title=f"{phrase}.",
    )


def event_identity(event: dict[str, Any]) -> tuple[str, ...]:
    """What Klaviyo keeps one event per: its unique_id, else profile, metric and second.

    Klaviyo scopes a unique_id to a profile and metric; here it is global, which is the
    same thing for a relay whose unique_id is a submission id.
    """
    unique_id = event.get("unique_id")
    if unique_id is not None:
        return ("unique_id", unique_id)

    profile = event["profile"]["data"]["attributes"]
    who = next(str(profile[name]) for name in IDENTIFIERS if profile.get(name))
    moment = datetime.fromisoformat(event["time"]) if event.get("time") else None
    second = (moment or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    metric = event["metric"]["data"]["attributes"]["name"]
    return ("second", metric, who, second.isoformat())


def _not_authenticated() -> Rejection:
    return Rejection(
        "Missing or invalid private key.",
        status=401,
        code="not_authenticated",
        title="Authentication credentials were not provided.",
    )


def _not_a_field(name: str, resource: str, pointer: str) -> Rejection:
    return Rejection(
        f"'{name}' is not a valid field for the resource '{resource}'.", pointer
    )


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _refuse_constant(name: str) -> None:
    # Python's json reads NaN and Infinity, which are not JSON; Klaviyo refuses them.
    raise ValueError(f"{name} is not a JSON value")


def _pointer(path: Iterable[Any]) -> str:
    parts = [_escape(str(part)) for part in path]
    return "/" + "/".join(parts) if parts else ROOT


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
