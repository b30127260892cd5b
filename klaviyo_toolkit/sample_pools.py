"""The facts the sample generator draws from: accounts, pages, names, places, weights.

Kept apart from the drawing code so that a reader can check the sample against Anedot's
real pages and donors at a glance, and change a share without touching an algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

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


def pool(text: str) -> tuple[str, ...]:
    """Split a `|`-separated list, so the pools below stay compact."""
    return tuple(part.strip() for part in text.split("|") if part.strip())


def table_rows(text: str) -> list[list[str]]:
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
TRIBUTES = pool("""In memory of Rose Guidry|In honor of my mother|
For Dr. Núñez's retirement|In memory of "Big Mike" Landry""")
CUSTOM_FIELDS = {
    "General Donation": (CustomField("in_honor_of", TRIBUTES, 0.08),),
    "Tribute Gifts": (CustomField("in_honor_of", TRIBUTES),),
    "Spring Gala Tickets": (
        CustomField("meal_choice", pool("Chicken|Fish|Vegetarian")),
        CustomField("guest_count", pool("1|2|2|4")),
    ),
    "Volunteer Sign-Up": (
        CustomField("volunteer_interest", pool("Phone banking|Canvassing|Data entry")),
        CustomField("availability", pool("Weekday evenings|Weekends|Anytime")),
    ),
    "Petition: Protect the Coast": (
        CustomField(
            "why_it_matters",
            pool("""Our coast is our home.|For my grandkids.|
            Protect the marsh — now!|Je suis Cajun et fière."""),
            0.35,
        ),
    ),
    "RSVP: Baton Rouge Town Hall": (
        CustomField("attending_with", pool("Just me|+1|+2")),
        CustomField("question_topic", pool("Flood insurance|Schools|Roads & bridges")),
    ),
    "Yard Sign Request": (CustomField("sign_size", pool("Standard|Large")),),
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
    for id_, name, owner, team, kind, weight, fund, recurring in table_rows(PAGES_TABLE)
)

FIRST_NAMES = pool("""
James|Mary|Robert|Patricia|John|Jennifer|Michael|Linda|David|Elizabeth|William|Barbara|
Richard|Susan|Joseph|Jessica|Thomas|Sarah|Charles|Karen|Christopher|Lisa|Daniel|Nancy|
Matthew|Betty|Anthony|Sandra|Mark|Ashley|Donald|Emily|Steven|Michelle|Andrew|Kimberly|
Joshua|Amanda|Kevin|Melissa|Brian|Stephanie|José|María|Renée|Zoë|Chloé|André|Sinéad|
D'Andre|Marie-Claire|LaToya|DeShawn|Keisha|Aaliyah|Darnell|Beau|Rémy|Céleste|Antoine|
Jacques|Gabrielle|Thảo|Minh|Priya|Raj|Mei|Wei|Fatima|Omar|Ahmed|Björn|Ingrid|Siobhán""")
MIDDLE_NAMES = pool("A.|J.|M.|L.|R.|Marie|Ann|Lee|Lynn|James|Paul|Elise|Thérèse")
LAST_NAMES = pool("""
Smith|Johnson|Williams|Brown|Jones|Garcia|Miller|Davis|Rodriguez|Martinez|Hernández|
López|González|Wilson|Anderson|Thomas|Taylor|Moore|Jackson|Martin|Lee|Thompson|White|
Harris|Sanchez|Clark|Robinson|Lewis|Walker|Young|Allen|King|Wright|Scott|Nguyen|Tran|
Pham|Hill|Green|Adams|Baker|Boudreaux|Thibodeaux|LeBlanc|Broussard|Guidry|Hébert|Landry|
Fontenot|Arceneaux|Robichaux|Comeaux|Batiste|Dupuis|O'Brien|O'Neal|D'Angelo|Núñez|Peña|
Muñoz|St. Pierre|de la Cruz|Van Buren|Kowalski|Schmidt|Müller|Patel|Shah|Kim|Chen|
Washington|Duplessis|Mouton|Breaux|Theriot""")
# Reserved example domains, so a sample pushed to a real account reaches no one.
EMAIL_DOMAINS = pool("example.com|example.com|example.net|example.org|mail.example.com")
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
STREETS = pool("""
Magazine St|St Charles Ave|Canal St|Esplanade Ave|Napoleon Ave|Perkins Rd|
Government St|Johnston St|Line Ave|Main St|Oak St|Maple Ave|Elm St|Broadway|Park Ave|
Highland Rd|Veterans Blvd|Ryan St|Jefferson Hwy|Cedar Ln|Bayou Rd|Church St|2nd St""")
UNITS = pool("Apt 2B|Apt 12|Unit 5|Suite 300|#4|Apt C")
JOBS = pool("""
Retired/Retired|Not Employed/Not Employed|Self-Employed/Attorney|Ochsner Health/Nurse|
Entergy/Engineer|Tulane University/Professor|Jefferson Parish Schools/Teacher|
Self-Employed/Shrimper|LSU Health/Physician|Port of New Orleans/Logistics Manager|
Hancock Whitney/Banker|City of Baton Rouge/Firefighter|Self-Employed/Realtor""")
JUNK_PHONES = pool("123|555-CALL-NOW|1231231234|000-000-0000|n/a|5551234")
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

UTM_CHANNELS = pool("""
facebook/paid_social|facebook/social|google/cpc|newsletter/email|actionkit/email|
sms/text|twitter/social|instagram/social|youtube/video""")
UTM_CAMPAIGNS = pool("""eoq_march_2026|spring_gala_2026|protect_the_coast|
monthly_circle|welcome_series|town_hall_br|gotv_2026|year_end_renewal""")
UTM_TERMS = pool("donate|louisiana coast|charity new orleans|thibodeaux senate")
UTM_CONTENTS = pool("hero_button|footer_link|video_a|video_b|image_1")
SOURCE_CODES = pool("EM2603A|EM2603B|DM2601|FB-ADS-Q1|WEB|MAIL-0226|TXT-EOQ")
REFERRERS = pool("""https://www.facebook.com/|https://www.google.com/|https://t.co/|
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
