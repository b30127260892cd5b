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
    """"donation" for financial pages, "lead" for petitions and sign-ups."""
    weight: float
    """How often it is filled in, relative to the other pages of its kind."""
    fund: tuple[str, str] | None
    """(fund id, fund name) that its donations go to."""
    recurring_share: float
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
    "general": ("51cc965a019ce7ecc55a4", "General Fund"),
    "gala": ("6781493d156d3f97e92af", "Spring Gala 2026"),
    "campaign": ("b4ff0d615934958a9c386", "Thibodeaux for Louisiana"),
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
    "Sign the Petition: Protect the Coast": (
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
5c8ab43a-99dd-437d-b39a-673d290bee43|General Donation|0||donation|12|general|0.1
339960ad-c1cd-4401-9a7c-127740bd397d|Annual Fund 2026|0|Digital|donation|10|general|0.1
9c7ef003-b39d-453b-9e50-7a8865c325ef|Spring Gala Tickets|0|Field|donation|4|gala|0
0a9bba18-8550-433d-9483-aab7d27e4b4b|Monthly Giving Circle|0|Digital|donation|6|general|0.85
f16ed156-8b95-4b45-817a-eecf3cc9fb88|Tribute Gifts|0||donation|2|general|0.05
172748c6-7985-49cb-9ce6-dffa093bcd61|Volunteer Sign-Up|0|Field|lead|4||0
d233c09a-ab2f-47f1-8698-39f62e2ac452|Donate: End of Quarter Push|1|Digital|donation|14|campaign|0.1
8309f3ab-43da-490c-82e3-7051fcb0a84d|Chip In $5|1|Digital|donation|8|campaign|0.15
8bc0b443-5342-4d4b-9a1e-214d2389045a|Sign the Petition: Protect the Coast|1|Digital|lead|7||0
c5d035c0-62c4-4305-a1ff-0bd80d7669a6|RSVP: Baton Rouge Town Hall|1|Field|lead|3||0
7fd01177-116a-4e9b-aafa-96ac7f631250|Yard Sign Request|1||lead|2||0
"""
PAGES = tuple(
    Page(
        page_id,
        name,
        ACCOUNTS[int(account)],
        team or None,
        kind,
        float(weight),
        FUNDS.get(fund),
        float(recurring),
        CUSTOM_FIELDS.get(name, ()),
    )
    for page_id, name, account, team, kind, weight, fund, recurring in _table(PAGES_TABLE)
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
EMAIL_DOMAINS = _pool("example.com|example.com|example.net|example.org|mail.example.com")
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

COLUMNS = pl.Schema(
    {
        "submission_id": pl.String,
        "created_at": pl.Datetime("ms", "UTC"),
        "kind": pl.String,
        "status": pl.String,
        "amount": pl.Decimal(12, 2),
        "fee": pl.Decimal(12, 2),
        "net_amount": pl.Decimal(12, 2),
        "recurring": pl.Boolean,
        "frequency": pl.String,
        "page_id": pl.String,
        "page_name": pl.String,
        "page_team": pl.String,
        "team": pl.String,
        "account_uid": pl.String,
        "account_name": pl.String,
        "donor_id": pl.Int64,
        "first_name": pl.String,
        "middle_name": pl.String,
        "last_name": pl.String,
        "email": pl.String,
        "phone": pl.String,
        "phone_kind": pl.String,
        "address_line_1": pl.String,
        "address_line_2": pl.String,
        "city": pl.String,
        "region": pl.String,
        "postal_code": pl.String,
        "country": pl.String,
        "employer_name": pl.String,
        "occupation": pl.String,
        "utm_source": pl.String,
        "utm_medium": pl.String,
        "utm_campaign": pl.String,
        "utm_term": pl.String,
        "utm_content": pl.String,
        "source_code": pl.String,
        "referrer": pl.String,
        "origin": pl.String,
        "payment_source": pl.String,
        "donation_id": pl.String,
        "fund_id": pl.String,
        "fund_name": pl.String,
        "commitment_uid": pl.String,
        "commitment_index": pl.Int32,
        "custom_fields": pl.String,
        "webhook_draw": pl.Float64,
        "webhook_without_iso": pl.Boolean,
    }
)
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
    "fund_id": FUNDS["general"][0],
    "fund_name": FUNDS["general"][1],
    "custom_fields": "{}",
    "webhook_draw": 0.5,
    "webhook_without_iso": False,
}
"""The example on Anedot's Klaviyo integration page; its address line is not shown there."""


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

    Annie Dot's example (from 2023) is the first row unless `include_annie` is false; the
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
    draws = pl.DataFrame(
        {
            "first_name": _gather(FIRST_NAMES, first),
            "middle_name": _sometimes(rng, MIDDLE_NAMES, count, MIDDLE_NAME_FRACTION),
            "last_name": _gather(LAST_NAMES, last),
            "first": _gather(_FIRST_FOLDED, first),
            "last": _gather(_LAST_FOLDED, last),
            "style": rng.choice(5, size=count, p=_weights(EMAIL_STYLE_WEIGHTS)),
            "number": rng.integers(1, 100, size=count),
            "domain": _draw(rng, EMAIL_DOMAINS, count),
            "has_email": rng.random(count) >= NO_EMAIL_FRACTION,
        }
    )

    first_name, last_name = pl.col("first"), pl.col("last")
    f, la, number = first_name.str.to_lowercase(), last_name.str.to_lowercase(), "number"
    local = (
        pl.when(pl.col("style") == 0)
        .then(pl.concat_str(f, pl.lit("."), la))
        .when(pl.col("style") == 1)
        .then(pl.concat_str(f, la, number))
        .when(pl.col("style") == 2)
        .then(pl.concat_str(f.str.head(1), la, number))
        .when(pl.col("style") == 3)
        .then(pl.concat_str(f, pl.lit("_"), la, number))
        .otherwise(pl.concat_str(first_name, pl.lit("."), last_name, number))
    )
    email = pl.concat_str(local, pl.lit("@"), "domain")
    return draws.select(
        "first_name",
        "middle_name",
        "last_name",
        email=pl.when("has_email").then(email),
    )


def _folded(name: str) -> str:
    """A name as the ASCII letters people type into an email address."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


_FIRST_FOLDED = tuple(_folded(name) for name in FIRST_NAMES)
_LAST_FOLDED = tuple(_folded(name) for name in LAST_NAMES)


def _addresses(rng: np.random.Generator, count: int) -> pl.DataFrame:
    """Street address, city, region, postal code, country, and a phone in many forms."""
    place = rng.choice(_PLACES.height, size=count, p=_weights(_PLACES["weight"]))
    foreign = _PLACES["country"].to_numpy()[place] != "US"
    us_kind = rng.choice(len(PHONE_KINDS), size=count, p=_weights(US_PHONE_WEIGHTS))
    abroad = rng.choice(len(PHONE_KINDS), size=count, p=_weights(FOREIGN_PHONE_WEIGHTS))
    draws = _PLACES[place].with_columns(
        phone_kind=_gather(PHONE_KINDS, np.where(foreign, abroad, us_kind)),
        house=pl.Series(rng.integers(100, 10000, size=count)).cast(pl.String),
        street=pl.coalesce("street", pl.lit(_draw(rng, STREETS, count))),
        unit=_sometimes(rng, UNITS, count, UNIT_FRACTION),
        exchange=pl.Series(rng.choice(EXCHANGES, size=count)).cast(pl.String),
        line=pl.Series(rng.integers(0, 10000, size=count)),
        style=pl.Series(rng.integers(0, 3, size=count)),
        junk=_draw(rng, JUNK_PHONES, count),
    )

    return draws.select(
        phone=_phone(),
        phone_kind="phone_kind",
        address_line_1=pl.concat_str("house", pl.lit(" "), "street"),
        address_line_2="unit",
        city="city",
        region="region",
        postal_code="postal_code",
        country="country",
    )


def _phone() -> pl.Expr:
    """The phone as typed: bare digits, formatted, international, junk, or none."""
    kind, style, area, exchange = map(pl.col, ("phone_kind", "style", "prefix", "exchange"))
    line = pl.col("line").cast(pl.String).str.zfill(4)
    formatted = (
        pl.when(style == 0)
        .then(pl.concat_str(pl.lit("("), area, pl.lit(") "), exchange, pl.lit("-"), line))
        .when(style == 1)
        .then(pl.concat_str(area, pl.lit("."), exchange, pl.lit("."), line))
        .otherwise(pl.concat_str(area, pl.lit("-"), exchange, pl.lit("-"), line))
    )
    # Abroad the line stays under 1000, which keeps the UK numbers inside Ofcom's
    # ranges reserved for fiction (020 7946 0xxx, 0161 496 0xxx).
    short_line = (pl.col("line") % 1000).cast(pl.String).str.zfill(4)
    return (
        pl.when(kind == "us_10")
        .then(pl.concat_str(area, exchange, line))
        .when(kind == "us_11")
        .then(pl.concat_str(pl.lit("1"), area, exchange, line))
        .when(kind == "formatted")
        .then(formatted)
        .when(kind == "international")
        .then(pl.concat_str(area, short_line))
        .when(kind == "junk")
        .then(pl.col("junk"))
    )


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
    page = np.where(lead, _pick_page(rng, "lead", count), _pick_page(rng, "donation", count))
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
        **{column: pl.when(donation).then(column) for column in ("fund_id", "fund_name")},
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
    """Creation times in order, by day and US-weighted hour, bursting before the deadline.

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
    return pl.DataFrame({"created_at": created, "webhook_without_iso": without_iso[order]})


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
    """Row quirks: a team on a few rows, no account uid on others, jobs on gifts only."""
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
    rng: np.random.Generator, values: Sequence[int], weights: Sequence[float], count: int
) -> Ints:
    """`count` integers from a small weighted list."""
    return np.asarray(values, np.int64)[rng.choice(len(values), count, p=_weights(weights))]


def _weights(weights: Sequence[float] | pl.Series) -> npt.NDArray[np.float64]:
    """Relative weights as probabilities."""
    array = np.asarray(weights, dtype=np.float64)
    return array / array.sum()


def _dollars(cents: Ints) -> pl.Series:
    """Integer cents as exact decimal dollars."""
    scaled = pl.lit(pl.Series(cents)).cast(pl.Decimal(14, 2)) * Decimal("0.01")
    return pl.select(scaled.cast(pl.Decimal(12, 2))).to_series()


_HEX_PAIRS = np.frombuffer("".join(f"{i:02x}" for i in range(256)).encode(), np.uint16)


def _hex_chars(rng: np.random.Generator, count: int, width: int) -> npt.NDArray[Any]:
    """A (count, width) array of random lowercase hex characters, as ASCII bytes."""
    raw = np.frombuffer(rng.bytes(count * ((width + 1) // 2)), dtype=np.uint8)
    return _HEX_PAIRS[raw].view(np.uint8).reshape(count, -1)[:, :width]


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
    array = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), count, [None, buffer])
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
    """Write one string per line; the CSV writer does it fast and, unquoted, verbatim."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines.to_frame().write_csv(path, include_header=False, quote_style="never")
    return path


def _camel_object() -> pl.Expr:
    """The camelCase raw-data object, keys in the mapping table's order."""
    col = pl.col
    return _object(
        _members(
            id=col("submission_id"),
            createdAt=col("created_at").dt.strftime(_ISO_MILLIS),
            kind=col("kind"),
            amount=col("amount"),
            status=col("status"),
            recurring=col("recurring"),
            frequency=col("frequency"),
            actionPageId=col("page_id"),
            actionPageName=col("page_name"),
        ),
        _member_if_set("team", "team"),
        _member_if_set("account_uid", "accountUid"),
        _members(
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
        ),
        _raw_member("customFields", "custom_fields"),
    )


# Payload keys and the frame columns they come from, in the order Anedot documents.
_PAYLOAD_FIELDS = {
    "first_name": "first_name",
    "middle_name": "middle_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "address_line_1": "address_line_1",
    "address_line_2": "address_line_2",
    "address_city": "city",
    "address_region": "region",
    "address_postal_code": "postal_code",
    "address_country": "country",
    "employer_name": "employer_name",
    "occupation": "occupation",
    "source_code": "source_code",
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "utm_term": "utm_term",
    "utm_content": "utm_content",
    "referrer": "referrer",
    "origin": "origin",
    "source": "payment_source",
    "status": "status",
    "frequency": "frequency",
    "commitment_uid": "commitment_uid",
    "commitment_index": "commitment_index",
}


def _webhook_body(flat_fraction: float) -> pl.Expr:
    """`{"event", "payload"}`, or the payload's fields flat beside `event`."""
    donation = pl.col("kind") == "donation"
    flat = pl.col("webhook_draw") < flat_fraction
    event = (
        pl.when(donation)
        .then(pl.lit('{"event":"donation_completed",'))
        .otherwise(pl.lit('{"event":"submission_created",'))
    )
    opening = pl.when(flat).then(pl.lit("")).otherwise(pl.lit('"payload":{'))
    closing = pl.when(flat).then(pl.lit("}")).otherwise(pl.lit("}}"))
    return pl.concat_str(event, opening, _joined(*_payload_members()), closing)


def _payload_members() -> list[pl.Expr]:
    """The snake_case payload. Keys without a value are left out, not sent as null."""
    col = pl.col
    donation = col("kind") == "donation"
    money = _members(
        event_amount=col("amount"),
        amount_in_dollars=col("amount"),
        net_amount=col("net_amount"),
    )
    iso_time = _members(created_at_iso8601=col("created_at").dt.strftime(_ISO_MILLIS))
    # Anedot sends this boolean as the string "true" or "false".
    recurring = pl.when("recurring").then(pl.lit("true")).otherwise(pl.lit("false"))
    return [
        _members(submission_id=col("submission_id")),
        pl.when(donation).then(_members(donation=_donation_object())),
        _members(action_page_id=col("page_id"), action_page_name=col("page_name")),
        _member_if_set("account_uid", "account_uid"),
        _members(account_name=col("account_name")),
        pl.when(donation).then(money),
        _members(created_at=col("created_at").dt.strftime(_UTC_SECONDS)),
        pl.when(~col("webhook_without_iso")).then(iso_time),
        *(_member_if_set(column, key) for key, column in _PAYLOAD_FIELDS.items()),
        _members(recurring=recurring),
        _raw_member("custom_field_responses", "custom_fields"),
        _member_if_set("team", "team"),
    ]


def _donation_object() -> pl.Expr:
    """The payload's `donation`: its id, its fund and Anedot's fee."""
    return pl.struct(
        id=pl.col("donation_id"),
        fund=pl.struct(id=pl.col("fund_id"), name=pl.col("fund_name")),
        fees=pl.struct(anedot_fees=pl.struct(amount=pl.col("fee"))),
    )


def _members(**fields: pl.Expr) -> pl.Expr:
    """`"key":value,...` without braces, ready to splice into an object."""
    encoded = pl.struct(**fields).struct.json_encode()
    return encoded.str.strip_prefix("{").str.strip_suffix("}")


def _member_if_set(column: str, key: str) -> pl.Expr:
    """A one-key member, left out where the column is null."""
    value = pl.col(column)
    return pl.when(value.is_not_null()).then(_members(**{key: value}))


def _raw_member(key: str, column: str) -> pl.Expr:
    """A member whose value is already JSON text."""
    return pl.concat_str(pl.lit(f'"{key}":'), pl.col(column))


def _joined(*members: pl.Expr) -> pl.Expr:
    """Members joined by commas; a null one drops out with its comma."""
    return pl.concat_str(members, separator=",", ignore_nulls=True)


def _object(*members: pl.Expr) -> pl.Expr:
    """A JSON object made of members."""
    return pl.concat_str(pl.lit("{"), _joined(*members), pl.lit("}"))
