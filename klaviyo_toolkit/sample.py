"""A seeded generator of realistic Anedot submissions, in both of Anedot's input shapes.

`generate` draws one neutral polars frame; the writers render it as the camelCase
"submission raw data" of Anedot's mapping table or as snake_case webhook envelopes, so
both files carry the same facts for the same submission ids. Columns are drawn with numpy
and assembled with polars expressions (no Python loop per row), which keeps a million
submissions to seconds. The same seed always gives the same bytes.

`write_sample` writes the committed `data/sample/` folder. From a shell:

    python -m klaviyo_toolkit.sample DIR [--n N] [--seed S] [--shape camel|webhook]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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

Indices = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

DEFAULT_SEED = 7
SAMPLE_SIZE = 2000
LEAD_FRACTION = 0.2
FLAT_FRACTION = 0.3
BASE_TIME = datetime(2026, 1, 5, tzinfo=UTC)
SPAN_DAYS = 90
JSON_ARRAY_ROWS = 50
BAD_FILE_GOOD_ROWS = 20

# The end-of-quarter deadline: campaigns see a burst of gifts in the three days before it.
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

# Kept apart from the sample's own stream so the bad-rows file never repeats its ids.
BAD_ROWS_SEED_SHIFT = 1_000_003


@dataclass(frozen=True)
class Account:
    """An Anedot account: the organization that owns Action Pages."""

    uid: str
    name: str


@dataclass(frozen=True)
class CustomField:
    """A question an Action Page asks, with the answers donors give."""

    key: str
    answers: tuple[str, ...]
    share: float = 1.0
    """The fraction of the page's submissions that answer it."""


@dataclass(frozen=True)
class Page:
    """An Action Page: who owns it, its team tag and what its submissions are."""

    id: str
    name: str
    account: Account
    team: str | None
    kind: str
    """"donation" for financial pages, "lead" for petitions and sign-ups."""
    weight: float
    """How often the page is filled in, relative to the other pages of its kind."""
    fund: tuple[str, str] | None = None
    """(fund id, fund name) that donations go to."""
    recurring_share: float = 0.1
    custom_fields: tuple[CustomField, ...] = ()


FOUNDATION = Account("24b9b6e8b224754428de6", "The Charitable Foundation")
CAMPAIGN = Account("0865ab192f721bfd004fb", "Thibodeaux for Louisiana")
ACCOUNTS = (FOUNDATION, CAMPAIGN)

GENERAL_FUND = ("51cc965a019ce7ecc55a4", "General Fund")
GALA_FUND = ("6781493d156d3f97e92af", "Spring Gala 2026")
CAMPAIGN_FUND = ("b4ff0d615934958a9c386", "Thibodeaux for Louisiana")

TRIBUTES = (
    "In memory of Rose Guidry",
    "In honor of my mother",
    "For Dr. Núñez's retirement",
    'In memory of "Big Mike" Landry',
)
PAGES = (
    Page(
        "5c8ab43a-99dd-437d-b39a-673d290bee43",
        "General Donation",
        FOUNDATION,
        None,
        "donation",
        12,
        GENERAL_FUND,
        custom_fields=(CustomField("in_honor_of", TRIBUTES, 0.08),),
    ),
    Page(
        "339960ad-c1cd-4401-9a7c-127740bd397d",
        "Annual Fund 2026",
        FOUNDATION,
        "Digital",
        "donation",
        10,
        GENERAL_FUND,
    ),
    Page(
        "9c7ef003-b39d-453b-9e50-7a8865c325ef",
        "Spring Gala Tickets",
        FOUNDATION,
        "Field",
        "donation",
        4,
        GALA_FUND,
        recurring_share=0.0,
        custom_fields=(
            CustomField("meal_choice", ("Chicken", "Fish", "Vegetarian")),
            CustomField("guest_count", ("1", "2", "2", "4")),
        ),
    ),
    Page(
        "0a9bba18-8550-433d-9483-aab7d27e4b4b",
        "Monthly Giving Circle",
        FOUNDATION,
        "Digital",
        "donation",
        6,
        GENERAL_FUND,
        recurring_share=0.85,
    ),
    Page(
        "f16ed156-8b95-4b45-817a-eecf3cc9fb88",
        "Tribute Gifts",
        FOUNDATION,
        None,
        "donation",
        2,
        GENERAL_FUND,
        custom_fields=(CustomField("in_honor_of", TRIBUTES),),
    ),
    Page(
        "172748c6-7985-49cb-9ce6-dffa093bcd61",
        "Volunteer Sign-Up",
        FOUNDATION,
        "Field",
        "lead",
        4,
        custom_fields=(
            CustomField(
                "volunteer_interest",
                ("Phone banking", "Canvassing", "Event setup", "Data entry"),
            ),
            CustomField("availability", ("Weekday evenings", "Weekends", "Anytime")),
        ),
    ),
    Page(
        "d233c09a-ab2f-47f1-8698-39f62e2ac452",
        "Donate: End of Quarter Push",
        CAMPAIGN,
        "Digital",
        "donation",
        14,
        CAMPAIGN_FUND,
    ),
    Page(
        "8309f3ab-43da-490c-82e3-7051fcb0a84d",
        "Chip In $5",
        CAMPAIGN,
        "Digital",
        "donation",
        8,
        CAMPAIGN_FUND,
    ),
    Page(
        "8bc0b443-5342-4d4b-9a1e-214d2389045a",
        "Sign the Petition: Protect the Coast",
        CAMPAIGN,
        "Digital",
        "lead",
        7,
        custom_fields=(
            CustomField(
                "why_it_matters",
                (
                    "Our coast is our home.",
                    "For my grandkids.",
                    "Protect the marsh — now!",
                    "Je suis Cajun et fière.",
                ),
                0.35,
            ),
        ),
    ),
    Page(
        "c5d035c0-62c4-4305-a1ff-0bd80d7669a6",
        "RSVP: Baton Rouge Town Hall",
        CAMPAIGN,
        "Field",
        "lead",
        3,
        custom_fields=(
            CustomField("attending_with", ("Just me", "+1", "+2")),
            CustomField(
                "question_topic",
                ("Flood insurance", "Coastal restoration", "Schools", "Roads & bridges"),
                0.5,
            ),
        ),
    ),
    Page(
        "7fd01177-116a-4e9b-aafa-96ac7f631250",
        "Yard Sign Request",
        CAMPAIGN,
        None,
        "lead",
        2,
        custom_fields=(CustomField("sign_size", ("Standard", "Large")),),
    ),
)


def _pool(text: str) -> tuple[str, ...]:
    """Split a `|`-separated table cell list, so pools stay compact in this file."""
    return tuple(part.strip() for part in text.split("|") if part.strip())


FIRST_NAMES = _pool("""
James|Mary|Robert|Patricia|John|Jennifer|Michael|Linda|David|Elizabeth|William|Barbara|
Richard|Susan|Joseph|Jessica|Thomas|Sarah|Charles|Karen|Christopher|Lisa|Daniel|Nancy|
Matthew|Betty|Anthony|Sandra|Mark|Ashley|Donald|Emily|Steven|Michelle|Andrew|Kimberly|
Joshua|Amanda|Kevin|Melissa|Brian|Stephanie|José|María|Renée|Zoë|Chloé|André|Sinéad|
D'Andre|Marie-Claire|LaToya|DeShawn|Keisha|Aaliyah|Darnell|Beau|Rémy|Céleste|Antoine|
Jacques|Gabrielle|Thảo|Minh|Priya|Raj|Mei|Wei|Fatima|Omar|Ahmed|Björn|Ingrid|Siobhán
""")
MIDDLE_NAMES = _pool("A.|J.|M.|L.|R.|Marie|Ann|Lee|Lynn|James|Paul|Elise|Thérèse")
LAST_NAMES = _pool("""
Smith|Johnson|Williams|Brown|Jones|Garcia|Miller|Davis|Rodriguez|Martinez|Hernández|
López|González|Wilson|Anderson|Thomas|Taylor|Moore|Jackson|Martin|Lee|Thompson|White|
Harris|Sanchez|Clark|Robinson|Lewis|Walker|Young|Allen|King|Wright|Scott|Nguyen|Tran|
Pham|Hill|Green|Adams|Baker|Boudreaux|Thibodeaux|LeBlanc|Broussard|Guidry|Hébert|Landry|
Fontenot|Arceneaux|Robichaux|Comeaux|Batiste|Dupuis|O'Brien|O'Neal|D'Angelo|Núñez|Peña|
Muñoz|St. Pierre|de la Cruz|Van Buren|Kowalski|Schmidt|Müller|Patel|Shah|Kim|Chen|
Washington|Duplessis|Mouton|Breaux|Theriot|Dot
""")
EMAIL_DOMAINS = _pool("example.com|example.com|example.net|example.org|mail.example.com")
EMAIL_STYLE_WEIGHTS = (0.2, 0.25, 0.2, 0.2, 0.15)
ACCENTS = {
    **dict.fromkeys("áàâäãả", "a"),
    **dict.fromkeys("éèêë", "e"),
    **dict.fromkeys("íìîï", "i"),
    **dict.fromkeys("óòôöõ", "o"),
    **dict.fromkeys("úùûü", "u"),
    "ñ": "n",
    "ç": "c",
    "Á": "A",
    "É": "E",
    "Ó": "O",
    "Ú": "U",
    "Ñ": "N",
    "Ö": "O",
    "Ü": "U",
}

# city | region | postal codes | country | phone prefix (area code, or the
# international prefix for foreign places) | weight | street for foreign places
PLACES_TABLE = """
New Orleans|LA|70112,70115,70117,70119,70122|US|504|14
Metairie|LA|70001,70002,70005|US|504|5
Kenner|LA|70062,70065|US|504|2
Baton Rouge|LA|70802,70806,70808,70810|US|225|10
Lafayette|LA|70501,70503,70506|US|337|5
Lake Charles|LA|70601,70605|US|337|3
Shreveport|LA|71101,71105,71106|US|318|4
Monroe|LA|71201,71203|US|318|2
Alexandria|LA|71301|US|318|1.5
Houma|LA|70360,70363|US|985|1.5
Slidell|LA|70458,70461|US|985|1.5
Thibodaux|LA|70301|US|985|1
Houston|TX|77002,77006,77019|US|713|4
Dallas|TX|75201,75204|US|214|2
Austin|TX|78701,78704|US|512|2
Jackson|MS|39201,39216|US|601|1.5
Gulfport|MS|39501|US|228|1
Atlanta|GA|30303,30308|US|404|2
Birmingham|AL|35203|US|205|1
Nashville|TN|37203|US|615|1
Miami|FL|33130|US|305|1.5
New York|NY|10001,10011,10025|US|212|3
Washington|DC|20001,20009|US|202|2
Chicago|IL|60601,60614|US|312|1.5
Los Angeles|CA|90012,90026|US|213|1.5
San Francisco|CA|94110|US|415|1
Seattle|WA|98101|US|206|0.7
Denver|CO|80202|US|303|0.7
Boston|MA|02116|US|617|0.8
Philadelphia|PA|19103|US|215|0.7
Toronto|ON|M5V 2T6,M4W 1A8|CA|+1 416 363 |1|King St W
Vancouver|BC|V6B 1A1|CA|+1 604 681 |0.5|Granville St
Montréal|QC|H2X 1Y4|CA|+1 514 288 |0.5|Rue Sainte-Catherine O
London|England|SW1A 1AA,EC1A 1BB,N1 9GU|GB|+44 20 7946 |0.9|Baker Street
Manchester|England|M1 1AE|GB|+44 161 496 |0.3|Deansgate
Ciudad de México|CDMX|06600,03100|MX|+52 55 5286 |0.6|Av. Paseo de la Reforma
Guadalajara|JAL|44100|MX|+52 33 3615 |0.3|Av. Chapultepec
"""
STREETS = _pool("""
Magazine St|St Charles Ave|Canal St|Esplanade Ave|Napoleon Ave|Perkins Rd|
Government St|Johnston St|Line Ave|Main St|Oak St|Maple Ave|Elm St|Broadway|Park Ave|
Highland Rd|Veterans Blvd|Ryan St|Jefferson Hwy|Cedar Ln|Bayou Rd|Church St|2nd St
""")
UNITS = _pool("Apt 2B|Apt 12|Unit 5|Suite 300|#4|Apt C")
JOBS = _pool("""
Retired/Retired|Not Employed/Not Employed|Self-Employed/Attorney|Ochsner Health/Nurse|
Entergy/Engineer|Tulane University/Professor|Jefferson Parish Schools/Teacher|
Self-Employed/Shrimper|LSU Health/Physician|Port of New Orleans/Logistics Manager|
Hancock Whitney/Banker|City of Baton Rouge/Firefighter|Self-Employed/Realtor
""")
JUNK_PHONES = _pool("123|555-CALL-NOW|1231231234|000-000-0000|n/a|5551234")
# Real exchanges only: N11 service codes and 555 are left out so every US number reads
# as an ordinary line and passes phonenumbers.is_valid_number.
EXCHANGES = np.array([x for x in range(200, 1000) if x % 100 != 11 and x != 555])
PHONE_KINDS = ("us_10", "us_11", "formatted", "international", "junk", "missing")
US_PHONE_WEIGHTS = (0.72, 0.05, 0.09, 0.0, 0.02, 0.12)
FOREIGN_PHONE_WEIGHTS = (0.0, 0.0, 0.0, 0.8, 0.0, 0.2)

AMOUNT_PRESETS = (5, 10, 15, 20, 25, 35, 50, 75, 100, 150, 200, 250, 500, 1000, 2800)
AMOUNT_WEIGHTS = (6, 12, 3, 6, 16, 3, 14, 3, 12, 2, 3, 5, 3, 1.5, 0.7)
RECURRING_PRESETS = (5, 10, 19, 25, 50, 100)
RECURRING_WEIGHTS = (15, 30, 10, 25, 15, 5)
OTHER_AMOUNT_FRACTION = 0.12
STATUSES = ("completed", "pending", "failed", "refunded")
STATUS_WEIGHTS = (0.92, 0.03, 0.03, 0.02)
FREQUENCIES = ("monthly", "weekly", "yearly")
FREQUENCY_WEIGHTS = (0.8, 0.08, 0.12)
PAYMENT_SOURCES = ("credit_card", "ach", "check", "cash")
PAYMENT_SOURCE_WEIGHTS = (0.86, 0.08, 0.03, 0.03)
HOUR_WEIGHTS = (
    (5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1)
    + (2, 3, 5, 6, 6, 6, 6, 6, 6, 7, 7, 6)
)  # UTC hours: US daytime and evening run from 14:00 to 05:00 UTC

UTM_CHANNELS = _pool("""
facebook/paid_social|facebook/social|google/cpc|newsletter/email|actionkit/email|
sms/text|twitter/social|instagram/social|youtube/video
""")
UTM_CAMPAIGNS = _pool("""
eoq_march_2026|spring_gala_2026|protect_the_coast|monthly_circle|welcome_series|
town_hall_br|gotv_2026|year_end_renewal
""")
UTM_TERMS = _pool("donate|louisiana coast|charity new orleans|thibodeaux senate")
UTM_CONTENTS = _pool("hero_button|footer_link|video_a|video_b|image_1")
SOURCE_CODES = _pool("EM2603A|EM2603B|DM2601|FB-ADS-Q1|WEB|MAIL-0226|TXT-EOQ")
REFERRERS = _pool("""
https://www.facebook.com/|https://www.google.com/|https://t.co/|https://mail.google.com/|
https://www.instagram.com/|https://charitablefoundation.example.org/|
https://thibodeauxforlouisiana.example.com/
""")

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
"""The neutral frame `generate` returns. `page_team` is the page's tag (as in pages.csv),
`team` what the submission itself carries (mostly null). `donor_id` and `phone_kind` are
ground truth for tests. `custom_fields` is a JSON object as text. `webhook_draw` and
`webhook_without_iso` fix how `write_webhook_jsonl` renders the row: flat when the draw is
below `flat_fraction`, and without `created_at_iso8601` (such rows have whole seconds,
so `created_at` alone still carries the full time)."""

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
    "account_uid": FOUNDATION.uid,
    "account_name": FOUNDATION.name,
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
    "fund_id": GENERAL_FUND[0],
    "fund_name": GENERAL_FUND[1],
    "custom_fields": "{}",
    "webhook_draw": 0.5,
    "webhook_without_iso": False,
}
"""The example submission of Anedot's Klaviyo integration page, exactly as shown there."""


def generate(
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    lead_fraction: float = LEAD_FRACTION,
    start: datetime = BASE_TIME,
    days: int = SPAN_DAYS,
    include_annie: bool = True,
) -> pl.DataFrame:
    """Draw `n` submissions (Annie Dot's among them unless `include_annie` is false).

    Rows are sorted by creation time, spread over `days` days from `start`, and have the
    columns of `COLUMNS`. The same arguments always give the same frame.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if not 0.0 <= lead_fraction <= 1.0:
        raise ValueError("lead_fraction must be between 0 and 1")

    rng = np.random.default_rng(seed)
    count = n - 1 if include_annie else n
    donor_ids, no_contact = _donor_ids(rng, count)
    people = pl.concat(
        [_names(rng, count), _addresses(rng, count), _jobs(rng, count)],
        how="horizontal",
    )
    people = _strip_contact(people, no_contact)

    frame = pl.concat(
        [
            _gifts(rng, count, lead_fraction),
            people[donor_ids].with_columns(donor_id=pl.Series(donor_ids)),
            _times(rng, count, start, days),
            _marketing(rng, count),
        ],
        how="horizontal",
    )
    frame = _finish(rng, frame)

    if include_annie:
        annie = pl.DataFrame([{**ANNIE_DOT, "donor_id": count}], schema=COLUMNS)
        frame = pl.concat([annie, frame])
    return frame.sort("created_at", "submission_id")


def _donor_ids(rng: np.random.Generator, count: int) -> tuple[Indices, Indices]:
    """Which donor made each row, and the donors left with no way to be contacted.

    Loyal donors are the first ids; a few other rows are handed to them so they appear on
    several submissions. No-contact donors are picked among the ones seen only once.
    """
    loyal = max(1, count // ROWS_PER_LOYAL_DONOR)
    others = rng.permutation(np.arange(loyal, count, dtype=np.int64))
    repeats = others[: int(count * REPEAT_ROW_FRACTION)]
    no_contact = others[len(repeats) : len(repeats) + _no_contact_count(count)]

    donor_ids = np.arange(count, dtype=np.int64)
    donor_ids[repeats] = rng.integers(0, loyal, size=len(repeats))
    return donor_ids, no_contact


def _no_contact_count(count: int) -> int:
    """A couple of donors with neither email nor usable phone, about 0.1% at scale."""
    return max(2, count // 1000) if count >= 100 else 0


def _names(rng: np.random.Generator, count: int) -> pl.DataFrame:
    """First, middle and last names, and an email address made from them."""
    draws = pl.DataFrame(
        {
            "first_name": _draw(rng, FIRST_NAMES, count),
            "middle_name": _draw(rng, MIDDLE_NAMES, count),
            "last_name": _draw(rng, LAST_NAMES, count),
            "style": rng.choice(5, size=count, p=_weights(EMAIL_STYLE_WEIGHTS)),
            "number": rng.integers(1, 100, size=count),
            "domain": _draw(rng, EMAIL_DOMAINS, count),
            "has_middle": rng.random(count) < MIDDLE_NAME_FRACTION,
            "has_email": rng.random(count) >= NO_EMAIL_FRACTION,
        }
    )

    first, last = _folded("first_name"), _folded("last_name")
    number = pl.col("number").cast(pl.String)
    style = pl.col("style")
    local = (
        pl.when(style == 0)
        .then(pl.concat_str(first.str.to_lowercase(), pl.lit("."), last.str.to_lowercase()))
        .when(style == 1)
        .then(pl.concat_str(first.str.to_lowercase(), last.str.to_lowercase(), number))
        .when(style == 2)
        .then(pl.concat_str(first.str.head(1), last, number).str.to_lowercase())
        .when(style == 3)
        .then(pl.concat_str(first, pl.lit("_"), last, number).str.to_lowercase())
        .otherwise(pl.concat_str(first, pl.lit("."), last, number))
    )
    return draws.select(
        "first_name",
        pl.when("has_middle").then("middle_name").alias("middle_name"),
        "last_name",
        pl.when("has_email").then(pl.concat_str(local, pl.lit("@"), "domain")).alias("email"),
    )


def _folded(column: str) -> pl.Expr:
    """A name as the ASCII letters people type into an email address."""
    return pl.col(column).str.replace_many(ACCENTS).str.replace_all("[^A-Za-z0-9]", "")


def _addresses(rng: np.random.Generator, count: int) -> pl.DataFrame:
    """Street address, city, region, postal code, country and a phone in many forms."""
    place = rng.choice(PLACES.height, size=count, p=_weights(PLACES["weight"].to_list()))
    foreign = PLACES["country"].to_numpy()[place] != "US"
    kind = np.where(
        foreign,
        rng.choice(len(PHONE_KINDS), size=count, p=_weights(FOREIGN_PHONE_WEIGHTS)),
        rng.choice(len(PHONE_KINDS), size=count, p=_weights(US_PHONE_WEIGHTS)),
    )
    draws = PLACES[place].with_columns(
        phone_kind=pl.Series(PHONE_KINDS).gather(kind),
        house=rng.integers(100, 10000, size=count),
        street_name=_draw(rng, STREETS, count),
        unit=_draw(rng, UNITS, count),
        has_unit=rng.random(count) < UNIT_FRACTION,
        exchange=rng.choice(EXCHANGES, size=count),
        line=rng.integers(0, 10000, size=count),
        style=rng.integers(0, 3, size=count),
        junk=_draw(rng, JUNK_PHONES, count),
    )

    street = pl.coalesce("street", "street_name")
    return draws.select(
        _phone().alias("phone"),
        "phone_kind",
        pl.concat_str(pl.col("house").cast(pl.String), pl.lit(" "), street).alias(
            "address_line_1"
        ),
        pl.when("has_unit").then("unit").alias("address_line_2"),
        "city",
        "region",
        "postal_code",
        "country",
    )


def _phone() -> pl.Expr:
    """The phone as typed: digits, formatted, international, junk, or none at all."""
    kind, style = pl.col("phone_kind"), pl.col("style")
    prefix = pl.col("phone_prefix")
    exchange = pl.col("exchange").cast(pl.String)
    line = pl.col("line").cast(pl.String).str.zfill(4)
    formatted = (
        pl.when(style == 0)
        .then(pl.concat_str(pl.lit("("), prefix, pl.lit(") "), exchange, pl.lit("-"), line))
        .when(style == 1)
        .then(pl.concat_str(prefix, pl.lit("."), exchange, pl.lit("."), line))
        .otherwise(pl.concat_str(prefix, pl.lit("-"), exchange, pl.lit("-"), line))
    )
    # International numbers keep the line under 1000 so the UK ones stay inside Ofcom's
    # ranges reserved for fiction (020 7946 0xxx, 0161 496 0xxx).
    short_line = (pl.col("line") % 1000).cast(pl.String).str.zfill(4)
    return (
        pl.when(kind == "us_10")
        .then(pl.concat_str(prefix, exchange, line))
        .when(kind == "us_11")
        .then(pl.concat_str(pl.lit("1"), prefix, exchange, line))
        .when(kind == "formatted")
        .then(formatted)
        .when(kind == "international")
        .then(pl.concat_str(prefix, short_line))
        .when(kind == "junk")
        .then(pl.col("junk"))
    )


def _jobs(rng: np.random.Generator, count: int) -> pl.DataFrame:
    """Employer and occupation, which campaign donors are asked for."""
    job = _draw(rng, JOBS, count).str.split_exact("/", 1)
    has_job = pl.Series(rng.random(count) < JOB_FRACTION)
    return pl.DataFrame({"job": job, "has_job": has_job}).select(
        pl.when("has_job").then(pl.col("job").struct[0]).alias("employer_name"),
        pl.when("has_job").then(pl.col("job").struct[1]).alias("occupation"),
    )


def _strip_contact(people: pl.DataFrame, no_contact: Indices) -> pl.DataFrame:
    """Leave the chosen donors with no email and a missing or junk phone."""
    chosen = pl.Series(np.isin(np.arange(people.height), no_contact))
    junk = pl.int_range(pl.len()) % 2 == 0
    return people.with_columns(
        email=pl.when(chosen).then(None).otherwise("email"),
        phone=pl.when(chosen & junk).then(pl.lit("555-CALL-NOW"))
        .when(chosen)
        .then(None)
        .otherwise("phone"),
        phone_kind=pl.when(chosen & junk).then(pl.lit("junk"))
        .when(chosen)
        .then(pl.lit("missing"))
        .otherwise("phone_kind"),
    )


def _gifts(rng: np.random.Generator, count: int, lead_fraction: float) -> pl.DataFrame:
    """Page, kind, money, recurrence and custom fields of each submission."""
    lead = rng.random(count) < lead_fraction
    page = np.where(lead, _pick_page(rng, "lead", count), _pick_page(rng, "donation", count))
    pages = PAGE_FRAME[page]
    recurring = ~lead & (rng.random(count) < pages["recurring_share"].to_numpy())
    cents = _amount_cents(rng, count, recurring)
    fee = (cents * 22 + 500) // 1000 + 30
    index = np.minimum(rng.geometric(0.35, size=count), 24)

    draws = pages.with_columns(
        lead=pl.Series(lead),
        recurring=pl.Series(recurring),
        amount=_dollars(cents),
        fee=_dollars(fee),
        net_amount=_dollars(cents - fee),
        status=_draw(rng, STATUSES, count, STATUS_WEIGHTS),
        frequency=_draw(rng, FREQUENCIES, count, FREQUENCY_WEIGHTS),
        payment_source=_draw(rng, PAYMENT_SOURCES, count, PAYMENT_SOURCE_WEIGHTS),
        donation_id=_hex_ids(rng, count, 21),
        commitment_uid=_uuids(rng, count),
        commitment_index=pl.Series(index, dtype=pl.Int32),
        custom_fields=_custom_fields(rng, page),
        submission_id=_uuids(rng, count),
    )
    return draws.select(
        "submission_id",
        pl.when("lead").then(pl.lit("lead")).otherwise(pl.lit("donation")).alias("kind"),
        *_donation_only(
            "status",
            "amount",
            "fee",
            "net_amount",
            "payment_source",
            "donation_id",
            "fund_id",
            "fund_name",
        ),
        "recurring",
        _recurrence(),
        *(pl.when("recurring").then(c).alias(c) for c in _COMMITMENT),
        pl.when(pl.col("payment_source").is_in(["check", "cash"]) & ~pl.col("lead"))
        .then(pl.lit("api"))
        .when(pl.col("recurring") & (pl.col("commitment_index") > 1))
        .then(pl.lit("recurring"))
        .otherwise(pl.lit("hosted"))
        .alias("origin"),
        "page_id",
        "page_name",
        "page_team",
        "account_uid",
        "account_name",
        "custom_fields",
    ).with_columns(status=pl.col("status").fill_null("completed"))


_COMMITMENT = ("commitment_uid", "commitment_index")


def _donation_only(*columns: str) -> list[pl.Expr]:
    """Columns a lead does not have."""
    return [pl.when(~pl.col("lead")).then(c).alias(c) for c in columns]


def _recurrence() -> pl.Expr:
    """How often the gift repeats: "once" for one-off gifts, nothing for leads."""
    return (
        pl.when("lead")
        .then(None)
        .when("recurring")
        .then("frequency")
        .otherwise(pl.lit("once"))
        .alias("frequency")
    )


def _pick_page(rng: np.random.Generator, kind: str, count: int) -> Indices:
    """Page indices of one kind, by the pages' weights."""
    indices = [i for i, page in enumerate(PAGES) if page.kind == kind]
    weights = _weights([PAGES[i].weight for i in indices])
    return np.array(indices, dtype=np.int64)[rng.choice(len(indices), count, p=weights)]


def _amount_cents(rng: np.random.Generator, count: int, recurring: Mask) -> Indices:
    """Gift sizes clustered on the suggested buttons, with some typed-in amounts."""
    preset = np.array(AMOUNT_PRESETS)[
        rng.choice(len(AMOUNT_PRESETS), count, p=_weights(AMOUNT_WEIGHTS))
    ]
    monthly = np.array(RECURRING_PRESETS)[
        rng.choice(len(RECURRING_PRESETS), count, p=_weights(RECURRING_WEIGHTS))
    ]
    typed = rng.integers(500, 30000, size=count)
    typed = np.where(rng.random(count) < 0.5, typed - typed % 100, typed)

    other = rng.random(count) < OTHER_AMOUNT_FRACTION
    cents = np.where(recurring, monthly * 100, np.where(other, typed, preset * 100))
    return np.asarray(cents, dtype=np.int64)


def _custom_fields(rng: np.random.Generator, page: Indices) -> pl.Series:
    """Each submission's answers to its page's questions, as a JSON object."""
    frame = pl.DataFrame({"page": page})
    members = []
    for index, field in ((i, f) for i, p in enumerate(PAGES) for f in p.custom_fields):
        answers = {i: f'"{field.key}":{_json(a)}' for i, a in enumerate(field.answers)}
        answer = pl.Series(rng.integers(0, len(field.answers), size=len(page)))
        answered = pl.Series(rng.random(len(page)) < field.share)
        members.append(
            pl.when((pl.col("page") == index) & answered).then(
                answer.replace_strict(answers, return_dtype=pl.String)
            )
        )
    body = pl.concat_str(members, separator=",", ignore_nulls=True)
    return frame.select(pl.concat_str(pl.lit("{"), body, pl.lit("}"))).to_series()


def _times(
    rng: np.random.Generator, count: int, start: datetime, days: int
) -> pl.DataFrame:
    """Creation times by day and US-weighted hour, with a burst before the deadline."""
    day = rng.integers(0, days, size=count)
    burst_end = (DEADLINE - start).days
    if 3 <= burst_end <= days:
        burst = rng.integers(burst_end - 3, burst_end, size=count)
        day = np.where(rng.random(count) < DEADLINE_FRACTION, burst, day)
    hour = rng.choice(24, size=count, p=_weights(HOUR_WEIGHTS))
    second = rng.integers(0, 3600, size=count)
    without_iso = rng.random(count) < MISSING_ISO_FRACTION
    millis = np.where(without_iso, 0, rng.integers(0, 1000, size=count))

    start_ms = int(start.timestamp() * 1000)
    epoch_ms = start_ms + ((day * 24 + hour) * 3600 + second) * 1000 + millis
    created = pl.Series(epoch_ms).cast(pl.Datetime("ms")).dt.replace_time_zone("UTC")
    return pl.DataFrame({"created_at": created, "webhook_without_iso": without_iso})


def _marketing(rng: np.random.Generator, count: int) -> pl.DataFrame:
    """UTM codes (absent on most rows), source codes and referrers."""
    channel = _draw(rng, UTM_CHANNELS, count).str.split_exact("/", 1)
    draws = pl.DataFrame(
        {
            "has_utm": rng.random(count) >= MISSING_UTM_FRACTION,
            "channel": channel,
            "campaign": _sometimes(rng, UTM_CAMPAIGNS, count, 0.9),
            "term": _sometimes(rng, UTM_TERMS, count, 0.3),
            "content": _sometimes(rng, UTM_CONTENTS, count, 0.5),
        }
    )
    return draws.select(
        pl.when("has_utm").then(pl.col("channel").struct[0]).alias("utm_source"),
        pl.when("has_utm").then(pl.col("channel").struct[1]).alias("utm_medium"),
        *(pl.when("has_utm").then(c).alias(f"utm_{c}") for c in _UTM_REST),
        source_code=_sometimes(rng, SOURCE_CODES, count, SOURCE_CODE_FRACTION),
        referrer=_sometimes(rng, REFERRERS, count, REFERRER_FRACTION),
    )


_UTM_REST = ("campaign", "term", "content")


def _finish(rng: np.random.Generator, frame: pl.DataFrame) -> pl.DataFrame:
    """The row-level quirks: a team on a few rows, a missing account uid on others."""
    count = frame.height
    with_team = pl.Series(rng.random(count) < ROW_TEAM_FRACTION)
    without_uid = pl.Series(rng.random(count) < MISSING_ACCOUNT_UID_FRACTION)
    lead = pl.col("kind") == "lead"
    return frame.with_columns(
        team=pl.when(with_team).then("page_team"),
        account_uid=pl.when(without_uid).then(None).otherwise("account_uid"),
        employer_name=pl.when(lead).then(None).otherwise("employer_name"),
        occupation=pl.when(lead).then(None).otherwise("occupation"),
        webhook_draw=pl.Series(rng.random(count)),
    ).select(COLUMNS.names())


def _draw(
    rng: np.random.Generator,
    pool: Sequence[str],
    count: int,
    weights: Sequence[float] | None = None,
) -> pl.Series:
    """`count` values from a small pool, uniformly or by weight."""
    p = None if weights is None else _weights(weights)
    return pl.Series(pool, dtype=pl.String).gather(rng.choice(len(pool), count, p=p))


def _sometimes(
    rng: np.random.Generator, pool: Sequence[str], count: int, share: float
) -> pl.Series:
    """Values from a pool on `share` of the rows, null elsewhere."""
    values = _draw(rng, pool, count)
    present = pl.Series(rng.random(count) < share)
    return pl.select(pl.when(present).then(values)).to_series()


def _weights(weights: Sequence[float]) -> npt.NDArray[np.float64]:
    """Relative weights as probabilities."""
    array = np.asarray(weights, dtype=np.float64)
    return array / array.sum()


def _dollars(cents: Indices) -> pl.Series:
    """Integer cents as exact decimal dollars."""
    c = pl.Series(cents)
    text = (c // 100).cast(pl.String) + "." + (c % 100).cast(pl.String).str.zfill(2)
    return text.cast(pl.Decimal(12, 2))


_HEX_PAIRS = np.frombuffer(
    b"".join(f"{i:02x}".encode() for i in range(256)), dtype=np.uint16
)


def _hex_chars(rng: np.random.Generator, count: int, width: int) -> npt.NDArray[Any]:
    """A (count, width) array of random lowercase hex characters as bytes."""
    raw = np.frombuffer(rng.bytes(count * ((width + 1) // 2)), dtype=np.uint8)
    chars = _HEX_PAIRS[raw].view(np.uint8).reshape(count, -1)
    return chars[:, :width]


def _strings(chars: npt.NDArray[Any]) -> pl.Series:
    """Rows of ASCII bytes as a string Series, without a Python loop."""
    count, width = chars.shape
    buffer = pa.py_buffer(np.ascontiguousarray(chars).tobytes())
    array = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), count, [None, buffer])
    series = pl.Series(pl.from_arrow(array))
    return series.cast(pl.Binary).cast(pl.String)


def _hex_ids(rng: np.random.Generator, count: int, width: int) -> pl.Series:
    """Random ids of `width` hex characters, like Anedot's donation ids."""
    return _strings(_hex_chars(rng, count, width))


def _uuids(rng: np.random.Generator, count: int) -> pl.Series:
    """Random version-4 UUIDs in their usual 8-4-4-4-12 form."""
    chars = _hex_chars(rng, count, 32).copy()
    chars[:, 12] = ord("4")
    chars[:, 16] = np.frombuffer(b"89ab", dtype=np.uint8)[chars[:, 16] % 4]
    dash = np.full((count, 1), ord("-"), dtype=np.uint8)
    cuts = (0, 8, 12, 16, 20, 32)
    parts = [chars[:, a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    pieces = [p for part in parts for p in (part, dash)][:-1]
    return _strings(np.concatenate(pieces, axis=1))


def _json(value: str) -> str:
    """One JSON string literal, non-ASCII kept as UTF-8 like the rest of the files."""
    return json.dumps(value, ensure_ascii=False)


def _places(table: str) -> pl.DataFrame:
    """The place table above, one row per postal code."""
    rows = []
    for line in table.strip().splitlines():
        city, region, codes, country, phone, weight, *street = line.split("|")
        postal_codes = codes.split(",")
        for code in postal_codes:
            share = float(weight) / len(postal_codes)
            rows.append((city, region, code, country, phone, share, *street, None)[:7])
    columns = ["city", "region", "postal_code", "country", "phone_prefix", "weight"]
    columns.append("street")
    return pl.DataFrame(rows, schema=columns, orient="row")


PLACES = _places(PLACES_TABLE)
PAGE_FRAME = pl.DataFrame(
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
    return _write_lines(frame.select(_camel_line()).to_series(), Path(path))


def write_camel_json(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write `frame` as one JSON array of camelCase objects, one object per line."""
    lines = frame.select(_camel_line()).to_series().to_list()
    text = "[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n"

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_webhook_jsonl(
    frame: pl.DataFrame, path: str | Path, *, flat_fraction: float = FLAT_FRACTION
) -> Path:
    """Write `frame` as webhook bodies, one per line.

    Rows whose `webhook_draw` is below `flat_fraction` put the payload's fields flat beside
    `event`, as some real deliveries do; the others nest them under `payload`.
    """
    if not 0.0 <= flat_fraction <= 1.0:
        raise ValueError("flat_fraction must be between 0 and 1")
    return _write_lines(frame.select(_webhook_line(flat_fraction)).to_series(), Path(path))


def write_pages(path: str | Path) -> Path:
    """Write the generated Action Pages as `page_id,name,account,team` CSV."""
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


def _write_lines(lines: pl.Series, path: Path) -> Path:
    """Write one string per line; the CSV writer does it without quoting and fast."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"line": lines}).write_csv(
        path, include_header=False, quote_style="never"
    )
    return path


def _camel_line() -> pl.Expr:
    """The camelCase raw-data object of each row, keys in Anedot's order."""
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
        _unless_null("team", "team"),
        _unless_null("account_uid", "accountUid"),
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
        _raw("customFields", "custom_fields"),
    )


def _webhook_line(flat_fraction: float) -> pl.Expr:
    """The webhook body of each row: `{"event", "payload"}`, or flat on some rows."""
    event = (
        pl.when(pl.col("kind") == "donation")
        .then(pl.lit('{"event":"donation_completed"'))
        .otherwise(pl.lit('{"event":"submission_created"'))
    )
    payload = _joined(*_payload_members())
    return (
        pl.when(pl.col("webhook_draw") < flat_fraction)
        .then(pl.concat_str(event, pl.lit(","), payload, pl.lit("}")))
        .otherwise(pl.concat_str(event, pl.lit(',"payload":{'), payload, pl.lit("}}")))
    )


def _payload_members() -> list[pl.Expr]:
    """The snake_case payload fields; keys a row lacks are left out, not null."""
    col = pl.col
    donation = col("kind") == "donation"
    return [
        _members(submission_id=col("submission_id")),
        pl.when(donation).then(_members(donation=_donation_object())),
        _members(
            action_page_id=col("page_id"), action_page_name=col("page_name")
        ),
        _unless_null("account_uid", "account_uid"),
        _members(account_name=col("account_name")),
        pl.when(donation).then(
            _members(
                event_amount=col("amount"),
                amount_in_dollars=col("amount"),
                net_amount=col("net_amount"),
            )
        ),
        _members(created_at=col("created_at").dt.strftime(_UTC_SECONDS)),
        pl.when(~col("webhook_without_iso")).then(
            _members(created_at_iso8601=col("created_at").dt.strftime(_ISO_MILLIS))
        ),
        _members(
            first_name=col("first_name"),
            middle_name=col("middle_name"),
            last_name=col("last_name"),
            email=col("email"),
            phone=col("phone"),
            address_line_1=col("address_line_1"),
            address_line_2=col("address_line_2"),
            address_city=col("city"),
            address_region=col("region"),
            address_postal_code=col("postal_code"),
            address_country=col("country"),
            employer_name=col("employer_name"),
            occupation=col("occupation"),
            source_code=col("source_code"),
            utm_source=col("utm_source"),
            utm_medium=col("utm_medium"),
            utm_campaign=col("utm_campaign"),
            utm_term=col("utm_term"),
            utm_content=col("utm_content"),
            referrer=col("referrer"),
            origin=col("origin"),
            source=col("payment_source"),
            status=col("status"),
            frequency=col("frequency"),
            # Anedot sends booleans here as the strings "true" and "false".
            recurring=pl.when("recurring").then(pl.lit("true")).otherwise(pl.lit("false")),
            commitment_uid=col("commitment_uid"),
            commitment_index=col("commitment_index"),
        ),
        _raw("custom_field_responses", "custom_fields"),
        _unless_null("team", "team"),
    ]


def _donation_object() -> pl.Expr:
    """The payload's `donation`: its id, fund and Anedot's fee."""
    return pl.struct(
        id=pl.col("donation_id"),
        fund=pl.struct(id=pl.col("fund_id"), name=pl.col("fund_name")),
        fees=pl.struct(anedot_fees=pl.struct(amount=pl.col("fee"))),
    )


def _members(**fields: pl.Expr) -> pl.Expr:
    """`"key":value,...` for each row, without braces, ready to splice into an object."""
    encoded = pl.struct(**fields).struct.json_encode()
    return encoded.str.strip_prefix("{").str.strip_suffix("}")


def _unless_null(column: str, key: str) -> pl.Expr:
    """A one-key member, left out entirely where the column is null."""
    value = pl.col(column)
    return pl.when(value.is_not_null()).then(_members(**{key: value}))


def _raw(key: str, column: str) -> pl.Expr:
    """A member whose value is already JSON text."""
    return pl.concat_str(pl.lit(f'"{key}":'), pl.col(column))


def _joined(*members: pl.Expr) -> pl.Expr:
    """Member lists joined by commas; a null one drops out with its comma."""
    return pl.concat_str(members, separator=",", ignore_nulls=True)


def _object(*members: pl.Expr) -> pl.Expr:
    """A JSON object made of member lists."""
    return pl.concat_str(pl.lit("{"), _joined(*members), pl.lit("}"))
