"""A seeded generator of realistic Anedot submissions, in both of Anedot's input shapes.

`generate` draws one neutral polars frame; the writers render it as the camelCase
"submission raw data" of Anedot's mapping table or as snake_case webhook bodies, so both
files carry the same facts for the same submission ids. Columns are drawn with numpy and
assembled with polars expressions, never a Python loop per row, so a million submissions
take seconds. The same seed always gives the same bytes.

`write_sample` writes the committed `data/sample/` folder. From a shell:

    python -m klaviyo_toolkit.sample DIR [--n N] [--seed S] [--shape camel|webhook]
"""

from __future__ import annotations

import argparse
import json
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

__all__ = [
    "ACCOUNTS",
    "ANNIE_DOT_ID",
    "BASE_TIME",
    "COLUMNS",
    "DEFAULT_SEED",
    "FLAT_FRACTION",
    "LEAD_FRACTION",
    "PAGES",
    "SAMPLE_SIZE",
    "SPAN_DAYS",
    "Account",
    "CustomField",
    "Page",
    "generate",
    "main",
    "write_bad_rows",
    "write_camel_json",
    "write_camel_jsonl",
    "write_pages",
    "write_sample",
    "write_webhook_jsonl",
]

Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

DEFAULT_SEED = 7
SAMPLE_SIZE = 2000
LEAD_FRACTION = 0.2
FLAT_FRACTION = 0.3
BASE_TIME = datetime(2026, 1, 5, tzinfo=UTC)
SPAN_DAYS = 90
JSON_ARRAY_ROWS = 50
BAD_FILE_GOOD_ROWS = 20
# The bad-rows file draws from its own stream so its ids never repeat the sample's.
BAD_ROWS_SEED_SHIFT = 1_000_003

# The end-of-quarter deadline: gifts burst in the three days before it.
DEADLINE = datetime(2026, 4, 1, tzinfo=UTC)
DEADLINE_FRACTION = 0.15

NO_EMAIL_FRACTION = 0.03
MIDDLE_NAME_FRACTION = 0.25
JOB_FRACTION = 0.6
UNIT_FRACTION = 0.1
REPEAT_ROW_FRACTION = 0.05
ROWS_PER_LOYAL_DONOR = 60
ROW_TEAM_FRACTION = 0.12
MISSING_ACCOUNT_UID_FRACTION = 0.03
MISSING_ISO_FRACTION = 0.02
MISSING_UTM_FRACTION = 0.55
SOURCE_CODE_FRACTION = 0.2
REFERRER_FRACTION = 0.6
OTHER_AMOUNT_FRACTION = 0.12


@dataclass(frozen=True)
class Account:
    """An Anedot account: the organization that owns Action Pages."""

    uid: str
    name: str


@dataclass(frozen=True)
class CustomField:
    """A question an Action Page asks, with the answers people give."""

    key: str
    answers: tuple[str, ...]
    share: float = 1.0
    """The fraction of the page's submissions that answer it."""


@dataclass(frozen=True)
class Page:
    """An Action Page: its owner, its team tag and what its submissions are."""

    id: str
    name: str
    account: Account
    team: str | None
    kind: str
    """Either "donation" (financial pages) or "lead" (petitions, sign-ups)."""
    weight: float
    """How often it is filled in, relative to the other pages of its kind."""
    fund: tuple[str, str] | None
    """(fund id, fund name) that its donations go to."""
    recurring_share: float
    """The fraction of its donations that are recurring gifts."""
    custom_fields: tuple[CustomField, ...]


def _pool(text: str) -> tuple[str, ...]:
    """Split a `|`-separated list, so the pools below stay compact."""
    return tuple(part.strip() for part in text.split("|") if part.strip())


def _table(text: str) -> list[list[str]]:
    """The rows of a `|`-separated table."""
    return [line.split("|") for line in text.strip().splitlines()]


ACCOUNTS = (
    Account("24b9b6e8b224754428de6", "The Charitable Foundation"),
    Account("0865ab192f721bfd004fb", "Thibodeaux for Louisiana"),
)
FUNDS = {
    "main": ("51cc965a019ce7ecc55a4", "General Fund"),
    "gala": ("6781493d156d3f97e92af", "Spring Gala 2026"),
    "camp": ("b4ff0d615934958a9c386", "Thibodeaux for Louisiana"),
}
TRIBUTES = _pool("""In memory of Rose Guidry|In honor of my mother|
For Dr. Núñez's retirement|In memory of "Big Mike" Landry""")
CUSTOM_FIELDS = {
    "General Donation": (CustomField("in_honor_of", TRIBUTES, 0.08),),
    "Tribute Gifts": (CustomField("in_honor_of", TRIBUTES),),
    "Spring Gala Tickets": (
        CustomField("meal_choice", _pool("Chicken|Fish|Vegetarian")),
        CustomField("guest_count", _pool("1|2|2|4")),
    ),
    "Volunteer Sign-Up": (
        CustomField("volunteer_interest", _pool("Phone banking|Canvassing|Data entry")),
        CustomField("availability", _pool("Weekday evenings|Weekends|Anytime")),
    ),
    "Petition: Protect the Coast": (
        CustomField(
            "why_it_matters",
            _pool("""Our coast is our home.|For my grandkids.|
            Protect the marsh — now!|Je suis Cajun et fière."""),
            0.35,
        ),
    ),
    "RSVP: Baton Rouge Town Hall": (
        CustomField("attending_with", _pool("Just me|+1|+2")),
        CustomField("question_topic", _pool("Flood insurance|Schools|Roads & bridges")),
    ),
    "Yard Sign Request": (CustomField("sign_size", _pool("Standard|Large")),),
}
# id | name | account | team | kind | weight | fund | recurring share
PAGES_TABLE = """
5c8ab43a-99dd-437d-b39a-673d290bee43|General Donation|0||donation|12|main|0.1
339960ad-c1cd-4401-9a7c-127740bd397d|Annual Fund 2026|0|Digital|donation|10|main|0.1
9c7ef003-b39d-453b-9e50-7a8865c325ef|Spring Gala Tickets|0|Field|donation|4|gala|0
0a9bba18-8550-433d-9483-aab7d27e4b4b|Monthly Giving Circle|0|Digital|donation|6|main|0.8
f16ed156-8b95-4b45-817a-eecf3cc9fb88|Tribute Gifts|0||donation|2|main|0.05
172748c6-7985-49cb-9ce6-dffa093bcd61|Volunteer Sign-Up|0|Field|lead|4||0
d233c09a-ab2f-47f1-8698-39f62e2ac452|End of Quarter Push|1|Digital|donation|14|camp|0.1
8309f3ab-43da-490c-82e3-7051fcb0a84d|Chip In $5|1|Digital|donation|8|camp|0.15
8bc0b443-5342-4d4b-9a1e-214d2389045a|Petition: Protect the Coast|1|Digital|lead|7||0
c5d035c0-62c4-4305-a1ff-0bd80d7669a6|RSVP: Baton Rouge Town Hall|1|Field|lead|3||0
7fd01177-116a-4e9b-aafa-96ac7f631250|Yard Sign Request|1||lead|2||0
"""
PAGES = tuple(
    Page(
        id_,
        name,
        ACCOUNTS[int(owner)],
        team or None,
        kind,
        float(weight),
        FUNDS.get(fund),
        float(recurring),
        CUSTOM_FIELDS.get(name, ()),
    )
    for id_, name, owner, team, kind, weight, fund, recurring in _table(PAGES_TABLE)
)

FIRST_NAMES = _pool("""
James|Mary|Robert|Patricia|John|Jennifer|Michael|Linda|David|Elizabeth|William|Barbara|
Richard|Susan|Joseph|Jessica|Thomas|Sarah|Charles|Karen|Christopher|Lisa|Daniel|Nancy|
Matthew|Betty|Anthony|Sandra|Mark|Ashley|Donald|Emily|Steven|Michelle|Andrew|Kimberly|
Joshua|Amanda|Kevin|Melissa|Brian|Stephanie|José|María|Renée|Zoë|Chloé|André|Sinéad|
D'Andre|Marie-Claire|LaToya|DeShawn|Keisha|Aaliyah|Darnell|Beau|Rémy|Céleste|Antoine|
Jacques|Gabrielle|Thảo|Minh|Priya|Raj|Mei|Wei|Fatima|Omar|Ahmed|Björn|Ingrid|Siobhán""")
MIDDLE_NAMES = _pool("A.|J.|M.|L.|R.|Marie|Ann|Lee|Lynn|James|Paul|Elise|Thérèse")
LAST_NAMES = _pool("""
Smith|Johnson|Williams|Brown|Jones|Garcia|Miller|Davis|Rodriguez|Martinez|Hernández|
López|González|Wilson|Anderson|Thomas|Taylor|Moore|Jackson|Martin|Lee|Thompson|White|
Harris|Sanchez|Clark|Robinson|Lewis|Walker|Young|Allen|King|Wright|Scott|Nguyen|Tran|
Pham|Hill|Green|Adams|Baker|Boudreaux|Thibodeaux|LeBlanc|Broussard|Guidry|Hébert|Landry|
Fontenot|Arceneaux|Robichaux|Comeaux|Batiste|Dupuis|O'Brien|O'Neal|D'Angelo|Núñez|Peña|
Muñoz|St. Pierre|de la Cruz|Van Buren|Kowalski|Schmidt|Müller|Patel|Shah|Kim|Chen|
Washington|Duplessis|Mouton|Breaux|Theriot""")
# Reserved example domains, so a sample pushed to a real account reaches no one.
EMAIL_DOMAINS = _pool(
    "example.com|example.com|example.net|example.org|mail.example.com"
)
# (spelling, separator): first.last, firstlast12, flast12, first_last12, First.Last12
EMAIL_STYLES = ((0, "."), (0, ""), (1, ""), (0, "_"), (2, "."))
EMAIL_STYLE_WEIGHTS = (0.2, 0.25, 0.2, 0.2, 0.15)

# city | region | postal codes | country | weight | phone prefix: the area code, or
# the international prefix abroad | street used abroad
PLACES_TABLE = """
New Orleans|LA|70112,70115,70117,70119,70122|US|14|504|
Metairie|LA|70001,70002,70005|US|5|504|
Kenner|LA|70062,70065|US|2|504|
Baton Rouge|LA|70802,70806,70808,70810|US|10|225|
Lafayette|LA|70501,70503,70506|US|5|337|
Lake Charles|LA|70601,70605|US|3|337|
Shreveport|LA|71101,71105,71106|US|4|318|
Monroe|LA|71201,71203|US|2|318|
Alexandria|LA|71301|US|1.5|318|
Houma|LA|70360,70363|US|1.5|985|
Slidell|LA|70458,70461|US|1.5|985|
Thibodaux|LA|70301|US|1|985|
Houston|TX|77002,77006,77019|US|4|713|
Dallas|TX|75201,75204|US|2|214|
Austin|TX|78701,78704|US|2|512|
Jackson|MS|39201,39216|US|1.5|601|
Gulfport|MS|39501|US|1|228|
Atlanta|GA|30303,30308|US|2|404|
Birmingham|AL|35203|US|1|205|
Nashville|TN|37203|US|1|615|
Miami|FL|33130|US|1.5|305|
New York|NY|10001,10011,10025|US|3|212|
Washington|DC|20001,20009|US|2|202|
Chicago|IL|60601,60614|US|1.5|312|
Los Angeles|CA|90012,90026|US|1.5|213|
San Francisco|CA|94110|US|1|415|
Seattle|WA|98101|US|0.7|206|
Denver|CO|80202|US|0.7|303|
Boston|MA|02116|US|0.8|617|
Philadelphia|PA|19103|US|0.7|215|
Toronto|ON|M5V 2T6,M4W 1A8|CA|1|+1 416 363 |King St W
Vancouver|BC|V6B 1A1|CA|0.5|+1 604 681 |Granville St
Montréal|QC|H2X 1Y4|CA|0.5|+1 514 288 |Rue Sainte-Catherine O
London|England|SW1A 1AA,EC1A 1BB,N1 9GU|GB|0.9|+44 20 7946 |Baker Street
Manchester|England|M1 1AE|GB|0.3|+44 161 496 |Deansgate
Ciudad de México|CDMX|06600,03100|MX|0.6|+52 55 5286 |Av. Paseo de la Reforma
Guadalajara|JAL|44100|MX|0.3|+52 33 3615 |Av. Chapultepec
"""
STREETS = _pool("""
Magazine St|St Charles Ave|Canal St|Esplanade Ave|Napoleon Ave|Perkins Rd|
Government St|Johnston St|Line Ave|Main St|Oak St|Maple Ave|Elm St|Broadway|Park Ave|
Highland Rd|Veterans Blvd|Ryan St|Jefferson Hwy|Cedar Ln|Bayou Rd|Church St|2nd St""")
UNITS = _pool("Apt 2B|Apt 12|Unit 5|Suite 300|#4|Apt C")
JOBS = _pool("""
Retired/Retired|Not Employed/Not Employed|Self-Employed/Attorney|Ochsner Health/Nurse|
Entergy/Engineer|Tulane University/Professor|Jefferson Parish Schools/Teacher|
Self-Employed/Shrimper|LSU Health/Physician|Port of New Orleans/Logistics Manager|
Hancock Whitney/Banker|City of Baton Rouge/Firefighter|Self-Employed/Realtor""")
JUNK_PHONES = _pool("123|555-CALL-NOW|1231231234|000-000-0000|n/a|5551234")
# N11 service codes and 555 are left out, so every US number is an ordinary line that
# phonenumbers.is_valid_number accepts.
EXCHANGES = np.array([x for x in range(200, 1000) if x % 100 != 11 and x != 555])
PHONE_KINDS = ("us_10", "us_11", "formatted", "international", "junk", "missing")
US_PHONE_WEIGHTS = (0.72, 0.05, 0.09, 0.0, 0.02, 0.12)
FOREIGN_PHONE_WEIGHTS = (0.0, 0.0, 0.0, 0.8, 0.0, 0.2)
# The text before the area code, between it and the exchange, and before the line, for
# us_10, us_11, the three formatted layouts, and international.
PHONE_LAYOUTS = (
    ("", "", ""),
    ("1", "", ""),
    ("(", ") ", "-"),
    ("", ".", "."),
    ("", "-", "-"),
    ("", "", ""),
)

AMOUNT_PRESETS = (5, 10, 15, 20, 25, 35, 50, 75, 100, 150, 200, 250, 500, 1000, 2800)
AMOUNT_WEIGHTS = (6, 12, 3, 6, 16, 3, 14, 3, 12, 2, 3, 5, 3, 1.5, 0.7)
RECURRING_PRESETS = (5, 10, 19, 25, 50, 100)
RECURRING_WEIGHTS = (15, 30, 10, 25, 15, 5)
STATUSES = ("completed", "pending", "failed", "refunded")
STATUS_WEIGHTS = (0.92, 0.03, 0.03, 0.02)
FREQUENCIES = ("monthly", "weekly", "yearly")
FREQUENCY_WEIGHTS = (0.8, 0.08, 0.12)
PAYMENT_SOURCES = ("credit_card", "ach", "check", "cash")
PAYMENT_SOURCE_WEIGHTS = (0.86, 0.08, 0.03, 0.03)
# By UTC hour: US daytime and evening run from 14:00 to 05:00 UTC.
HOUR_WEIGHTS = (5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 6, 6, 6, 7, 7, 6)

UTM_CHANNELS = _pool("""
facebook/paid_social|facebook/social|google/cpc|newsletter/email|actionkit/email|
sms/text|twitter/social|instagram/social|youtube/video""")
UTM_CAMPAIGNS = _pool("""eoq_march_2026|spring_gala_2026|protect_the_coast|
monthly_circle|welcome_series|town_hall_br|gotv_2026|year_end_renewal""")
UTM_TERMS = _pool("donate|louisiana coast|charity new orleans|thibodeaux senate")
UTM_CONTENTS = _pool("hero_button|footer_link|video_a|video_b|image_1")
SOURCE_CODES = _pool("EM2603A|EM2603B|DM2601|FB-ADS-Q1|WEB|MAIL-0226|TXT-EOQ")
REFERRERS = _pool("""https://www.facebook.com/|https://www.google.com/|https://t.co/|
https://mail.google.com/|https://www.instagram.com/|
https://charitablefoundation.example.org/|https://thibodeauxforlouisiana.example.com/""")

ANNIE_DOT_ID = "e1c0b789-81c5-489c-959f-e30ca6fa4c9a"


def _schema(text: str) -> pl.Schema:
    """A schema from `name:type` words; a word without a type is a string column."""
    types: dict[str, pl.DataType] = {
        "str": pl.String(),
        "time": pl.Datetime("ms", "UTC"),
        "money": pl.Decimal(12, 2),
        "bool": pl.Boolean(),
        "int": pl.Int64(),
        "int32": pl.Int32(),
        "float": pl.Float64(),
    }
    words = (word.partition(":") for word in text.split())
    return pl.Schema({name: types[kind or "str"] for name, _, kind in words})


COLUMNS = _schema("""
submission_id created_at:time kind status amount:money fee:money net_amount:money
recurring:bool frequency page_id page_name page_team team account_uid account_name
donor_id:int first_name middle_name last_name email phone phone_kind address_line_1
address_line_2 city region postal_code country employer_name occupation utm_source
utm_medium utm_campaign utm_term utm_content source_code referrer origin payment_source
donation_id fund_id fund_name commitment_uid commitment_index:int32 custom_fields
webhook_draw:float webhook_without_iso:bool
""")
"""The columns of `generate`'s frame. `page_team` is the page's tag (as in pages.csv),
`team` what the submission itself carries (mostly null); `donor_id` and `phone_kind` are
ground truth for tests; `custom_fields` is a JSON object as text. `webhook_draw` and
`webhook_without_iso` fix how `write_webhook_jsonl` renders the row."""

ANNIE_DOT: dict[str, Any] = {
    "submission_id": ANNIE_DOT_ID,
    "created_at": datetime(2023, 5, 15, 16, 37, 30, 844000, tzinfo=UTC),
    "kind": "donation",
    "status": "completed",
    "amount": Decimal("2.00"),
    "fee": Decimal("0.34"),
    "net_amount": Decimal("1.66"),
    "recurring": False,
    "frequency": "once",
    "page_id": PAGES[0].id,
    "page_name": PAGES[0].name,
    "account_uid": ACCOUNTS[0].uid,
    "account_name": ACCOUNTS[0].name,
    "first_name": "Annie",
    "last_name": "Dot",
    "email": "annie.dot@example.com",
    "phone": "1231231234",
    "phone_kind": "junk",
    "city": "New Orleans",
    "region": "LA",
    "postal_code": "70112",
    "country": "US",
    "origin": "hosted",
    "payment_source": "credit_card",
    "donation_id": "2b9c0e6a7d41f35e8a0c1",
    "fund_id": FUNDS["main"][0],
    "fund_name": FUNDS["main"][1],
    "custom_fields": "{}",
    "webhook_draw": 0.5,
    "webhook_without_iso": False,
}
"""The example on Anedot's Klaviyo integration page (which does not show its street)."""


def generate(
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    lead_fraction: float = LEAD_FRACTION,
    start: datetime = BASE_TIME,
    days: int = SPAN_DAYS,
    include_annie: bool = True,
) -> pl.DataFrame:
    """Draw `n` submissions with the columns of `COLUMNS`, the same for the same seed.

    Annie Dot's example (from 2023) comes first unless `include_annie` is false; the
    others follow in time order over `days` days from `start`.
    """
    if n < 1 or days < 1:
        raise ValueError("n and days must be at least 1")
    if not 0.0 <= lead_fraction <= 1.0:
        raise ValueError("lead_fraction must be between 0 and 1")

    rng = np.random.default_rng(seed)
    count = n - 1 if include_annie else n
    donor_ids, no_contact = _donor_ids(rng, count)
    people = pl.concat(
        [_names(rng, count), _addresses(rng, count), _jobs(rng, count)],
        how="horizontal",
    )
    people = _strip_contact(people, no_contact)[donor_ids]

    parts = [
        _gifts(rng, count, lead_fraction),
        people.with_columns(donor_id=pl.Series(donor_ids)),
        _times(rng, count, start, days),
        _marketing(rng, count),
    ]
    frame = _finish(rng, pl.concat(parts, how="horizontal"))

    if not include_annie:
        return frame
    annie = pl.DataFrame([{**ANNIE_DOT, "donor_id": count}], schema=COLUMNS)
    return pl.concat([annie, frame])


def _donor_ids(rng: np.random.Generator, count: int) -> tuple[Ints, Ints]:
    """Which donor made each row, and the donors left with no way to reach them.

    Loyal donors take the first ids and a few other rows, so they appear on several
    submissions; the unreachable ones are picked among donors seen only once.
    """
    loyal = max(1, count // ROWS_PER_LOYAL_DONOR)
    others = rng.permutation(np.arange(loyal, count, dtype=np.int64))
    repeats = others[: int(count * REPEAT_ROW_FRACTION)]
    unreachable = max(2, count // 1000) if count >= 100 else 0

    donor_ids = np.arange(count, dtype=np.int64)
    donor_ids[repeats] = rng.integers(0, loyal, size=len(repeats))
    return donor_ids, others[len(repeats) : len(repeats) + unreachable]


def _names(rng: np.random.Generator, count: int) -> pl.DataFrame:
    """First, middle and last names, and an email address made from them."""
    first = rng.integers(0, len(FIRST_NAMES), size=count)
    last = rng.integers(0, len(LAST_NAMES), size=count)
    style = rng.choice(len(EMAIL_STYLES), size=count, p=_weights(EMAIL_STYLE_WEIGHTS))
    number = pl.Series(rng.integers(1, 100, size=count)).cast(pl.String)

    # Each style is a way of writing the parts: which spelling of the first and last
    # name (lower case, initial, as written), the separator, and whether digits follow.
    spelling = np.array([s[0] for s in EMAIL_STYLES])[style]
    local = pl.concat_str(
        _gather(_FIRST_SPELLINGS, first + spelling * len(FIRST_NAMES)),
        _gather([s[1] for s in EMAIL_STYLES], style),
        _gather(_LAST_SPELLINGS, last + (spelling == 2) * len(LAST_NAMES)),
        pl.when(pl.lit(pl.Series(style > 0)))
        .then(pl.lit(number))
        .otherwise(pl.lit("")),
        pl.lit("@"),
        pl.lit(_draw(rng, EMAIL_DOMAINS, count)),
    )
    has_email = pl.lit(pl.Series(rng.random(count) >= NO_EMAIL_FRACTION))
    return pl.DataFrame(
        {
            "first_name": _gather(FIRST_NAMES, first),
            "middle_name": _sometimes(rng, MIDDLE_NAMES, count, MIDDLE_NAME_FRACTION),
            "last_name": _gather(LAST_NAMES, last),
        }
    ).with_columns(email=pl.when(has_email).then(local))


def _folded(name: str) -> str:
    """A name as the ASCII letters people type into an email address."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


# Spellings 0: lower case, 1: initial, 2: as written (first names); 0 and 2 for last.
_FIRST_SPELLINGS = (
    [_folded(name).lower() for name in FIRST_NAMES]
    + [_folded(name)[0].lower() for name in FIRST_NAMES]
    + [_folded(name) for name in FIRST_NAMES]
)
_LAST_SPELLINGS = [_folded(n).lower() for n in LAST_NAMES] + [
    _folded(n) for n in LAST_NAMES
]


def _addresses(rng: np.random.Generator, count: int) -> pl.DataFrame:
    """Street address, city, region, postal code, country, and a phone in many forms."""
    place = rng.choice(_PLACES.height, size=count, p=_weights(_PLACES["weight"]))
    foreign = _PLACES["country"].to_numpy()[place] != "US"
    us_kind = rng.choice(len(PHONE_KINDS), size=count, p=_weights(US_PHONE_WEIGHTS))
    abroad = rng.choice(len(PHONE_KINDS), size=count, p=_weights(FOREIGN_PHONE_WEIGHTS))
    kind = np.where(foreign, abroad, us_kind)
    places = _PLACES[place]
    street = _draw(rng, STREETS, count).zip_with(
        places["street"].is_null(), places["street"]
    )
    house = pl.Series(rng.integers(100, 10000, size=count)).cast(pl.String)

    return pl.DataFrame(
        {
            "phone": _phones(rng, kind, places["prefix"]),
            "phone_kind": _gather(PHONE_KINDS, kind),
            "address_line_1": house + " " + street,
            "address_line_2": _sometimes(rng, UNITS, count, UNIT_FRACTION),
            **places.select("city", "region", "postal_code", "country").to_dict(),
        }
    )


def _phones(rng: np.random.Generator, kind: Ints, prefix: pl.Series) -> pl.Series:
    """Phones as typed: bare digits, formatted, international, junk, or none.

    Each form is a layout of the same parts (area code, exchange, line); abroad the
    prefix holds everything but the line, which stays under 1000 so UK numbers fall in
    Ofcom's ranges reserved for fiction (020 7946 0xxx, 0161 496 0xxx).
    """
    count = len(kind)
    layout = np.array([0, 1, 2, 5, 0, 0])[kind] + (kind == 2) * rng.integers(
        0, 3, count
    )
    line = rng.integers(0, 10000, size=count)
    line = np.where(kind == 3, line % 1000, line)
    exchange = pl.Series(rng.choice(EXCHANGES, size=count)).cast(pl.String)

    parts = [_gather([parts[i] for parts in PHONE_LAYOUTS], layout) for i in range(3)]
    phone = pl.concat_str(
        pl.lit(parts[0]),
        pl.lit(prefix),
        pl.lit(parts[1]),
        pl.when(pl.lit(pl.Series(kind == 3)))
        .then(pl.lit(""))
        .otherwise(pl.lit(exchange)),
        pl.lit(parts[2]),
        pl.lit(pl.Series(line).cast(pl.String).str.zfill(4)),
    )
    junk = pl.lit(_draw(rng, JUNK_PHONES, count))
    return pl.select(
        pl.when(pl.lit(pl.Series(kind == 4)))
        .then(junk)
        .when(pl.lit(pl.Series(kind != 5)))
        .then(phone)
    ).to_series()


def _jobs(rng: np.random.Generator, count: int) -> pl.DataFrame:
    """Employer and occupation, which campaign donors are asked for."""
    job = _sometimes(rng, JOBS, count, JOB_FRACTION).str.split_exact("/", 1)
    return job.struct.rename_fields(["employer_name", "occupation"]).struct.unnest()


def _strip_contact(people: pl.DataFrame, chosen: Ints) -> pl.DataFrame:
    """Leave the chosen donors no email and a junk or missing phone."""
    mask = np.zeros(people.height, dtype=np.bool_)
    mask[chosen] = True
    junk = np.zeros(people.height, dtype=np.bool_)
    junk[chosen[::2]] = True

    chosen_expr, junk_expr = pl.lit(pl.Series(mask)), pl.lit(pl.Series(junk))
    return people.with_columns(
        email=pl.when(chosen_expr).then(None).otherwise("email"),
        phone=pl.when(junk_expr)
        .then(pl.lit("555-CALL-NOW"))
        .when(chosen_expr)
        .then(None)
        .otherwise("phone"),
        phone_kind=pl.when(junk_expr)
        .then(pl.lit("junk"))
        .when(chosen_expr)
        .then(pl.lit("missing"))
        .otherwise("phone_kind"),
    )


def _gifts(rng: np.random.Generator, count: int, lead_fraction: float) -> pl.DataFrame:
    """Page, kind, money, recurrence and custom fields of each submission."""
    lead = rng.random(count) < lead_fraction
    page = np.where(
        lead, _pick_page(rng, "lead", count), _pick_page(rng, "donation", count)
    )
    pages = _PAGE_FRAME[page]
    recurring = ~lead & (rng.random(count) < pages["recurring_share"].to_numpy())
    cents = _amount_cents(rng, count, recurring)
    fee = (cents * 22 + 500) // 1000 + 30
    draws = pages.with_columns(
        lead=pl.Series(lead),
        recurring=pl.Series(recurring),
        amount=_dollars(cents),
        fee=_dollars(fee),
        net_amount=_dollars(cents - fee),
        status=_draw(rng, STATUSES, count, STATUS_WEIGHTS),
        frequency=_draw(rng, FREQUENCIES, count, FREQUENCY_WEIGHTS),
        payment_source=_draw(rng, PAYMENT_SOURCES, count, PAYMENT_SOURCE_WEIGHTS),
        donation_id=_strings(_hex_chars(rng, count, 21)),
        commitment_uid=_uuids(rng, count),
        commitment_index=pl.Series(np.minimum(rng.geometric(0.35, count), 24)),
        custom_fields=_custom_fields(rng, page),
        submission_id=_uuids(rng, count),
    )

    donation, repeating = ~pl.col("lead"), pl.col("recurring")
    offline = pl.col("payment_source").is_in(["check", "cash"])
    later = pl.col("commitment_index") > 1
    money = ("amount", "fee", "net_amount", "payment_source", "donation_id")
    return draws.select(
        "submission_id",
        kind=pl.when(donation).then(pl.lit("donation")).otherwise(pl.lit("lead")),
        status=pl.when(donation).then("status").otherwise(pl.lit("completed")),
        **{column: pl.when(donation).then(column) for column in money},
        **{
            column: pl.when(donation).then(column)
            for column in ("fund_id", "fund_name")
        },
        recurring="recurring",
        frequency=pl.when(repeating)
        .then("frequency")
        .when(donation)
        .then(pl.lit("once")),
        commitment_uid=pl.when(repeating).then("commitment_uid"),
        commitment_index=pl.when(repeating).then("commitment_index").cast(pl.Int32),
        origin=pl.when(donation & offline)
        .then(pl.lit("api"))
        .when(repeating & later)
        .then(pl.lit("recurring"))
        .otherwise(pl.lit("hosted")),
        **{c: c for c in ("page_id", "page_name", "page_team", "account_uid")},
        account_name="account_name",
        custom_fields="custom_fields",
    )


def _pick_page(rng: np.random.Generator, kind: str, count: int) -> Ints:
    """Page indices of one kind, by the pages' weights."""
    indices = np.array([i for i, page in enumerate(PAGES) if page.kind == kind])
    weights = _weights([PAGES[i].weight for i in indices])
    return np.asarray(indices[rng.choice(len(indices), count, p=weights)], np.int64)


def _amount_cents(rng: np.random.Generator, count: int, recurring: Mask) -> Ints:
    """Gift sizes clustered on the suggested buttons, with some typed-in amounts."""
    preset = _choose(rng, AMOUNT_PRESETS, AMOUNT_WEIGHTS, count) * 100
    monthly = _choose(rng, RECURRING_PRESETS, RECURRING_WEIGHTS, count) * 100
    typed = rng.integers(500, 30000, size=count)
    typed = np.where(rng.random(count) < 0.5, typed - typed % 100, typed)

    other = rng.random(count) < OTHER_AMOUNT_FRACTION
    cents = np.where(recurring, monthly, np.where(other, typed, preset))
    return np.asarray(cents, dtype=np.int64)


def _custom_fields(rng: np.random.Generator, page: Ints) -> pl.Series:
    """Each submission's answers to its page's questions, as a JSON object."""
    members = []
    for index, field in ((i, f) for i, p in enumerate(PAGES) for f in p.custom_fields):
        answers = [f'"{field.key}":{_json(answer)}' for answer in field.answers]
        answer = _draw(rng, answers, len(page))
        answered = (page == index) & (rng.random(len(page)) < field.share)
        members.append(pl.when(pl.lit(pl.Series(answered))).then(pl.lit(answer)))

    body = pl.concat_str(members, separator=",", ignore_nulls=True)
    return pl.select(pl.concat_str(pl.lit("{"), body, pl.lit("}"))).to_series()


def _times(
    rng: np.random.Generator, count: int, start: datetime, days: int
) -> pl.DataFrame:
    """Creation times in order, by day and US-weighted hour, with a deadline burst.

    Rows whose webhook leaves out `created_at_iso8601` get whole seconds, so the
    `created_at` that remains still carries the full time.
    """
    day = rng.integers(0, days, size=count)
    deadline_day = (DEADLINE - start).days
    if 3 <= deadline_day <= days:
        burst = rng.integers(deadline_day - 3, deadline_day, size=count)
        day = np.where(rng.random(count) < DEADLINE_FRACTION, burst, day)
    hour = rng.choice(24, size=count, p=_weights(HOUR_WEIGHTS))
    second = ((day * 24 + hour) * 3600 + rng.integers(0, 3600, size=count)) * 1000
    without_iso = rng.random(count) < MISSING_ISO_FRACTION
    millis = second + np.where(without_iso, 0, rng.integers(0, 1000, size=count))

    # Every other column is drawn independently of time, so sorting the times alone
    # puts the rows in order without sorting the frame.
    order = np.argsort(millis, kind="stable")
    epoch = int(start.timestamp() * 1000) + millis[order]
    created = pl.Series(epoch).cast(pl.Datetime("ms")).dt.replace_time_zone("UTC")
    return pl.DataFrame(
        {"created_at": created, "webhook_without_iso": without_iso[order]}
    )


def _marketing(rng: np.random.Generator, count: int) -> pl.DataFrame:
    """UTM codes (absent on most rows), source codes and referrers."""
    tagged = pl.lit(pl.Series(rng.random(count) >= MISSING_UTM_FRACTION))
    channel = _draw(rng, UTM_CHANNELS, count).str.split_exact("/", 1)
    utm = pl.DataFrame(
        {
            "utm_source": channel.struct.field("field_0"),
            "utm_medium": channel.struct.field("field_1"),
            "utm_campaign": _sometimes(rng, UTM_CAMPAIGNS, count, 0.9),
            "utm_term": _sometimes(rng, UTM_TERMS, count, 0.3),
            "utm_content": _sometimes(rng, UTM_CONTENTS, count, 0.5),
        }
    ).select(pl.when(tagged).then(pl.all()).name.keep())
    return utm.with_columns(
        source_code=_sometimes(rng, SOURCE_CODES, count, SOURCE_CODE_FRACTION),
        referrer=_sometimes(rng, REFERRERS, count, REFERRER_FRACTION),
    )


def _finish(rng: np.random.Generator, frame: pl.DataFrame) -> pl.DataFrame:
    """Row quirks: a team on a few rows, no account uid on some, jobs on gifts only."""
    with_team = pl.lit(pl.Series(rng.random(frame.height) < ROW_TEAM_FRACTION))
    no_uid = pl.lit(pl.Series(rng.random(frame.height) < MISSING_ACCOUNT_UID_FRACTION))
    donation = pl.col("kind") == "donation"
    return frame.with_columns(
        team=pl.when(with_team).then("page_team"),
        account_uid=pl.when(no_uid).then(None).otherwise("account_uid"),
        employer_name=pl.when(donation).then("employer_name"),
        occupation=pl.when(donation).then("occupation"),
        webhook_draw=pl.Series(rng.random(frame.height)),
    ).select(COLUMNS.names())


def _gather(pool: Sequence[str], indices: npt.NDArray[Any]) -> pl.Series:
    """Pool values at the given indices."""
    return pl.Series(pool, dtype=pl.String).gather(indices)


def _draw(
    rng: np.random.Generator,
    pool: Sequence[str],
    count: int,
    weights: Sequence[float] | None = None,
) -> pl.Series:
    """`count` values from a small pool, uniformly or by weight."""
    p = None if weights is None else _weights(weights)
    return _gather(pool, rng.choice(len(pool), count, p=p))


def _sometimes(
    rng: np.random.Generator, pool: Sequence[str], count: int, share: float
) -> pl.Series:
    """Values from a pool on `share` of the rows, null elsewhere."""
    values = _draw(rng, pool, count)
    present = pl.Series(rng.random(count) < share)
    return pl.select(pl.when(present).then(values)).to_series()


def _choose(
    rng: np.random.Generator,
    values: Sequence[int],
    weights: Sequence[float],
    count: int,
) -> Ints:
    """`count` integers from a small weighted list."""
    return np.asarray(values, np.int64)[
        rng.choice(len(values), count, p=_weights(weights))
    ]


def _weights(weights: Sequence[float] | pl.Series) -> npt.NDArray[np.float64]:
    """Relative weights as probabilities."""
    array = np.asarray(weights, dtype=np.float64)
    probabilities: npt.NDArray[np.float64] = array / array.sum()
    return probabilities


def _dollars(cents: Ints) -> pl.Series:
    """Integer cents as exact decimal dollars."""
    scaled = pl.lit(pl.Series(cents)).cast(pl.Decimal(14, 2)) * Decimal("0.01")
    return pl.select(scaled.cast(pl.Decimal(12, 2))).to_series()


_HEX_PAIRS = np.frombuffer("".join(f"{i:02x}" for i in range(256)).encode(), np.uint16)


def _hex_chars(rng: np.random.Generator, count: int, width: int) -> npt.NDArray[Any]:
    """A (count, width) array of random lowercase hex characters, as ASCII bytes."""
    pairs = (width + 1) // 2
    raw = np.frombuffer(rng.bytes(count * pairs), dtype=np.uint8)
    return _HEX_PAIRS[raw].view(np.uint8).reshape(count, 2 * pairs)[:, :width]


def _uuids(rng: np.random.Generator, count: int) -> pl.Series:
    """Random version-4 UUIDs in the usual 8-4-4-4-12 form."""
    chars = _hex_chars(rng, count, 32).copy()
    chars[:, 12] = ord("4")
    chars[:, 16] = np.frombuffer(b"89ab", dtype=np.uint8)[chars[:, 16] % 4]
    dash = np.full((count, 1), ord("-"), dtype=np.uint8)
    groups = [chars[:, a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))]
    pieces = [piece for group in groups for piece in (dash, group)][1:]
    return _strings(np.concatenate(pieces, axis=1))


def _strings(chars: npt.NDArray[Any]) -> pl.Series:
    """Rows of ASCII bytes as strings, through Arrow to avoid a Python loop."""
    count, width = chars.shape
    buffer = pa.py_buffer(np.ascontiguousarray(chars).tobytes())
    array = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), count, [None, buffer]
    )
    return pl.Series(pl.from_arrow(array)).cast(pl.Binary).cast(pl.String)


def _json(value: str) -> str:
    """One JSON string, non-ASCII kept as UTF-8 like the rest of the files."""
    return json.dumps(value, ensure_ascii=False)


def _places() -> pl.DataFrame:
    """The places table, one row per postal code sharing the place's weight."""
    rows = []
    for city, region, codes, country, weight, prefix, street in _table(PLACES_TABLE):
        postal_codes = codes.split(",")
        share = float(weight) / len(postal_codes)
        for code in postal_codes:
            rows.append((city, region, code, country, share, prefix, street or None))
    names = ["city", "region", "postal_code", "country", "weight", "prefix", "street"]
    return pl.DataFrame(rows, schema=names, orient="row")


_PLACES = _places()
_PAGE_FRAME = pl.DataFrame(
    {
        "page_id": [p.id for p in PAGES],
        "page_name": [p.name for p in PAGES],
        "page_team": [p.team for p in PAGES],
        "account_uid": [p.account.uid for p in PAGES],
        "account_name": [p.account.name for p in PAGES],
        "fund_id": [p.fund[0] if p.fund else None for p in PAGES],
        "fund_name": [p.fund[1] if p.fund else None for p in PAGES],
        "recurring_share": [p.recurring_share for p in PAGES],
    }
)


_ISO_MILLIS = "%Y-%m-%dT%H:%M:%S%.3fZ"
_UTC_SECONDS = "%Y-%m-%d %H:%M:%S UTC"


def write_camel_jsonl(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write `frame` as camelCase "submission raw data", one JSON object per line."""
    return _write_lines(_render(frame, _camel_object()), Path(path))


def write_camel_json(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write `frame` as one JSON array of camelCase objects, one object per line."""
    lines = _render(frame, _camel_object()).to_list()
    text = "[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n"

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_webhook_jsonl(
    frame: pl.DataFrame, path: str | Path, *, flat_fraction: float = FLAT_FRACTION
) -> Path:
    """Write `frame` as webhook bodies, one per line.

    Rows whose `webhook_draw` is below `flat_fraction` put the payload's fields flat
    beside `event`, as some real deliveries do; the others nest them under `payload`.
    """
    if not 0.0 <= flat_fraction <= 1.0:
        raise ValueError("flat_fraction must be between 0 and 1")
    return _write_lines(_render(frame, _webhook_body(flat_fraction)), Path(path))


def write_pages(path: str | Path) -> Path:
    """Write the Action Pages as `page_id,name,account,team` CSV (account by name)."""
    pages = pl.DataFrame(
        {
            "page_id": [p.id for p in PAGES],
            "name": [p.name for p in PAGES],
            "account": [p.account.name for p in PAGES],
            "team": [p.team for p in PAGES],
        }
    )

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pages.write_csv(path)
    return path


def _render(frame: pl.DataFrame, body: pl.Expr) -> pl.Series:
    """One JSON text per row. Lazy, so shared parts of the expression run once."""
    return frame.lazy().select(body.alias("line")).collect().to_series()


def _write_lines(lines: pl.Series, path: Path) -> Path:
    """Write one string per line; the CSV writer, never quoting, does it fast."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines.to_frame().write_csv(path, include_header=False, quote_style="never")
    return path


def _camel_object() -> pl.Expr:
    """The camelCase raw-data object, keys in the mapping table's order."""
    col = pl.col
    fields = pl.struct(
        id=col("submission_id"),
        createdAt=col("created_at").dt.strftime(_ISO_MILLIS),
        kind=col("kind"),
        amount=col("amount"),
        status=col("status"),
        recurring=col("recurring"),
        frequency=col("frequency"),
        actionPageId=col("page_id"),
        actionPageName=col("page_name"),
        team=col("team"),
        accountUid=col("account_uid"),
        accountName=col("account_name"),
        email=col("email"),
        firstName=col("first_name"),
        lastName=col("last_name"),
        phone=col("phone"),
        address=pl.struct(
            line1=col("address_line_1"),
            line2=col("address_line_2"),
            city=col("city"),
            region=col("region"),
            postalCode=col("postal_code"),
            country=col("country"),
        ),
        utmCodes=pl.struct(
            source=col("utm_source"),
            medium=col("utm_medium"),
            campaign=col("utm_campaign"),
            term=col("utm_term"),
            content=col("utm_content"),
        ),
        sourceCode=col("source_code"),
    )
    # Only these two keys are left out when empty; every other null stays, as in the
    # integration page's example. Inside a JSON string a quote is always escaped, so
    # the patterns can only match a member.
    text = fields.struct.json_encode()
    text = text.str.replace(',"team":null', "", literal=True)
    text = text.str.replace(',"accountUid":null', "", literal=True)
    return _with_raw_member(text, "customFields", "custom_fields")


# Payload keys in the order Anedot documents them; a few differ from their column.
_PAYLOAD_KEYS = _pool("""first_name|middle_name|last_name|email|phone|address_line_1|
address_line_2|address_city|address_region|address_postal_code|address_country|
employer_name|occupation|source_code|utm_source|utm_medium|utm_campaign|utm_term|
utm_content|referrer|origin|source|status|frequency""")
_PAYLOAD_COLUMNS = {
    "address_city": "city",
    "address_region": "region",
    "address_postal_code": "postal_code",
    "address_country": "country",
    "source": "payment_source",
}
# A member whose value is null. Inside a JSON string a quote is always escaped, so
# this can only match a whole member, never text inside a value.
_NULL_MEMBER = ',"[a-z0-9_]+":null'


def _webhook_body(flat_fraction: float) -> pl.Expr:
    """`{"event", "payload"}`, or the payload's fields flat beside `event`."""
    flat = pl.col("webhook_draw") < flat_fraction
    event = (
        pl.when(pl.col("kind") == "donation")
        .then(pl.lit('{"event":"donation_completed",'))
        .otherwise(pl.lit('{"event":"submission_created",'))
    )
    opening = pl.when(flat).then(pl.lit("")).otherwise(pl.lit('"payload":{'))
    closing = pl.when(flat).then(pl.lit("")).otherwise(pl.lit("}"))
    members = _payload().str.strip_prefix("{")
    return pl.concat_str(event, opening, members, closing)


def _payload() -> pl.Expr:
    """The snake_case payload. Keys without a value are left out, not sent as null."""
    col = pl.col
    donation = col("kind") == "donation"
    iso_time = col("created_at").dt.strftime(_ISO_MILLIS)
    # Anedot sends this boolean as the string "true" or "false".
    recurring = pl.when("recurring").then(pl.lit("true")).otherwise(pl.lit("false"))
    fields = pl.struct(
        col("submission_id"),
        pl.when(donation).then(_donation_object()).alias("donation"),
        col("page_id").alias("action_page_id"),
        col("page_name").alias("action_page_name"),
        "account_uid",
        "account_name",
        col("amount").alias("event_amount"),
        col("amount").alias("amount_in_dollars"),
        "net_amount",
        col("created_at").dt.strftime(_UTC_SECONDS),
        pl.when(~col("webhook_without_iso")).then(iso_time).alias("created_at_iso8601"),
        *(col(_PAYLOAD_COLUMNS.get(key, key)).alias(key) for key in _PAYLOAD_KEYS),
        recurring.alias("recurring"),
        "commitment_uid",
        "commitment_index",
        "team",
    )
    text = fields.struct.json_encode().str.replace_all(_NULL_MEMBER, "")
    return _with_raw_member(text, "custom_field_responses", "custom_fields")


def _donation_object() -> pl.Expr:
    """The payload's `donation`: its id, its fund and Anedot's fee."""
    return pl.struct(
        id=pl.col("donation_id"),
        fund=pl.struct(id=pl.col("fund_id"), name=pl.col("fund_name")),
        fees=pl.struct(anedot_fees=pl.struct(amount=pl.col("fee"))),
    )


def _with_raw_member(text: pl.Expr, key: str, column: str) -> pl.Expr:
    """An encoded object with one more member at its end, whose value is JSON text."""
    return pl.concat_str(
        text.str.strip_suffix("}"), pl.lit(f',"{key}":'), pl.col(column), pl.lit("}")
    )


# One bad line of each kind: (kind, outcome, reason, field the reason is about).
BAD_LINES = (
    ("truncated", "quarantined", "invalid_json", None),
    ("empty", "skipped", "empty_line", None),
    ("no_id", "quarantined", "no_id", "id"),
    ("numeric_id", "quarantined", "bad_id", "id"),
    ("words_date", "quarantined", "bad_created_at", "createdAt"),
    ("impossible_date", "quarantined", "bad_created_at", "createdAt"),
    ("words_amount", "quarantined", "bad_amount", "amount"),
    ("negative_amount", "quarantined", "negative_amount", "amount"),
    ("array", "quarantined", "not_an_object", None),
    ("number", "quarantined", "not_an_object", None),
    ("duplicate", "duplicate", "duplicate_id", "id"),
)


def write_bad_rows(path: str | Path, *, seed: int = DEFAULT_SEED) -> Path:
    """Write good camelCase rows mixed with one bad line of each kind in `BAD_LINES`.

    Beside it, `<stem>.expected.json` says what ingest should do with each line
    (1-based): "stored", "skipped", "duplicate" or "quarantined", with a reason.
    """
    frame = generate(
        BAD_FILE_GOOD_ROWS + len(BAD_LINES),
        seed=seed + BAD_ROWS_SEED_SHIFT,
        include_annie=False,
    )
    rows = _render(frame, _camel_object()).to_list()
    good, spare = rows[:BAD_FILE_GOOD_ROWS], rows[BAD_FILE_GOOD_ROWS:]
    entries = [_good_entry(line) for line in good]
    entries += [
        _bad_entry(spec, row, good[0])
        for spec, row in zip(BAD_LINES, spare, strict=True)
    ]

    # The first and last lines stay good: the duplicate then always has an earlier
    # original, and the empty line is never mistaken for the file's final newline.
    middle = entries[1 : BAD_FILE_GOOD_ROWS - 1] + entries[BAD_FILE_GOOD_ROWS:]
    order = np.random.default_rng(seed).permutation(len(middle))
    ordered = [entries[0], *(middle[i] for i in order), entries[BAD_FILE_GOOD_ROWS - 1]]
    return _write_bad_rows(Path(path), ordered)


def _good_entry(line: str) -> tuple[str, dict[str, Any]]:
    """A line that should be stored, with what the expectations file says of it."""
    return line, {"outcome": "stored", "id": json.loads(line)["id"]}


def _bad_entry(
    spec: tuple[str, str, str, str | None], line: str, original: str
) -> tuple[str, dict[str, Any]]:
    """A spoiled copy of a good row, with the outcome ingest should give it."""
    kind, outcome, reason, field = spec
    text = _spoiled(kind, json.loads(line), line, original)

    expected: dict[str, Any] = {"outcome": outcome, "reason": reason}
    if field is not None:
        expected["field"] = field
    if (submission_id := _readable_id(text)) is not None:
        expected["id"] = submission_id
    return text, expected


def _readable_id(text: str) -> str | None:
    """The submission id a line carries, if it is an object with a string id."""
    try:
        row = json.loads(text)
    except ValueError:
        return None
    found = row.get("id") if isinstance(row, dict) else None
    return found if isinstance(found, str) else None


def _spoiled(kind: str, row: dict[str, Any], line: str, original: str) -> str:
    """The text of one bad line."""
    match kind:
        case "truncated":
            return line[: len(line) // 2]
        case "empty":
            return ""
        case "array":
            return json.dumps(["not", "an", "object"])
        case "number":
            return "42"
        case "duplicate":
            return original
        case "no_id":
            del row["id"]
        case "numeric_id":
            row["id"] = 12345
        case "words_date":
            row["createdAt"] = "yesterday"
        case "impossible_date":
            row["createdAt"] = "2026-02-30T10:00:00Z"
        case "words_amount":
            row |= {"kind": "donation", "amount": "twenty"}
        case "negative_amount":
            row |= {"kind": "donation", "amount": "-5.00"}
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _write_bad_rows(path: Path, entries: list[tuple[str, dict[str, Any]]]) -> Path:
    """Write the lines and, beside them, the expectations: one line of JSON per line."""
    outcomes = [expected["outcome"] for _, expected in entries]
    counts = {o: outcomes.count(o) for o in ("stored", "duplicate", "quarantined")}
    counts["skipped"] = outcomes.count("skipped")
    described = [
        json.dumps({"line": number, **expected})
        for number, (_, expected) in enumerate(entries, 1)
    ]
    header = f'{{"file": {json.dumps(path.name)}, "counts": {json.dumps(counts)},'

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(text + "\n" for text, _ in entries), encoding="utf-8")
    expected_path = path.with_name(f"{path.name.split('.')[0]}.expected.json")
    body = "\n".join([header, ' "lines": [', "  " + ",\n  ".join(described), "]}\n"])
    expected_path.write_text(body, encoding="utf-8")
    return path


def write_sample(
    directory: str | Path, *, n: int = SAMPLE_SIZE, seed: int = DEFAULT_SEED
) -> list[Path]:
    """Write the sample folder: both shapes, a JSON array, pages, bad rows, a README."""
    directory = Path(directory)
    frame = generate(n, seed=seed)
    written = [
        write_camel_jsonl(frame, directory / "submissions.jsonl"),
        write_webhook_jsonl(frame, directory / "webhooks.jsonl"),
        write_camel_json(frame.head(JSON_ARRAY_ROWS), directory / "submissions.json"),
        write_pages(directory / "pages.csv"),
        write_bad_rows(directory / "bad_rows.jsonl", seed=seed),
        directory / "bad_rows.expected.json",
    ]

    readme = directory / "README.md"
    readme.write_text(_sample_readme(frame, n=n, seed=seed), encoding="utf-8")
    return [*written, readme]


def _sample_readme(frame: pl.DataFrame, *, n: int, seed: int) -> str:
    """The sample folder's README, with the command that made it and what it holds."""
    leads = frame.filter(pl.col("kind") == "lead").height
    foreign = frame.filter(pl.col("country") != "US").height
    return f"""# Sample Anedot submissions

Made by `klaviyo_toolkit/sample.py`; do not edit by hand. `tests/test_sample.py` checks
that these files equal what the generator writes now. To remake them:

    python -m klaviyo_toolkit.sample data/sample --n {n} --seed {seed}

| file | what it is |
|---|---|
| `submissions.jsonl` | {n} submissions as camelCase "submission raw data" |
| `webhooks.jsonl` | the same {n} as webhook bodies, `{{"event", "payload"}}` or flat |
| `submissions.json` | the first {JSON_ARRAY_ROWS} submissions as one JSON array |
| `pages.csv` | the {len(PAGES)} Action Pages: `page_id,name,account,team` |
| `bad_rows.jsonl` | {BAD_FILE_GOOD_ROWS} good rows and one bad line of each kind |
| `bad_rows.expected.json` | what ingest should do with each line of `bad_rows.jsonl` |

The first submission is Annie Dot's, the example on Anedot's Klaviyo integration page;
the others run over {SPAN_DAYS} days from {BASE_TIME:%Y-%m-%d}, with a burst before the
quarter's deadline. In all: {n - leads} donations (one-off and recurring, mostly
completed) and {leads} leads, on the pages of {len(ACCOUNTS)} accounts and 2 teams;
{foreign} from outside the US. Phones come bare, with a leading 1, formatted,
international, as junk, or not at all. A few donors have no email, and a couple have
neither email nor usable phone, so they cannot be sent. Some donors give more than once.

Webhook payloads leave out keys that have no value. Where a row lacks an account uid,
both files lack it; where a webhook lacks `created_at_iso8601`, the time has whole
seconds, so both files still carry the same instant.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m klaviyo_toolkit.sample DIR`: write a sample, or one large file."""
    parser = argparse.ArgumentParser(
        prog="python -m klaviyo_toolkit.sample",
        description="Write generated Anedot submissions: the sample folder by default, "
        "or only DIR/submissions.jsonl or DIR/webhooks.jsonl with --shape.",
    )
    parser.add_argument("dir", type=Path)
    parser.add_argument("--n", type=int, default=SAMPLE_SIZE)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--shape", choices=("camel", "webhook"))
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")

    started = time.perf_counter()
    if args.shape is None:
        paths = write_sample(args.dir, n=args.n, seed=args.seed)
    elif args.shape == "camel":
        frame = generate(args.n, seed=args.seed)
        paths = [write_camel_jsonl(frame, args.dir / "submissions.jsonl")]
    else:
        frame = generate(args.n, seed=args.seed)
        paths = [write_webhook_jsonl(frame, args.dir / "webhooks.jsonl")]

    elapsed = time.perf_counter() - started
    print(f"wrote {', '.join(str(p) for p in paths)} in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
