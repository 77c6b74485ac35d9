"""WhatsApp's limits, written once: the rule book of the message models and the template models.

Every length, count, size, pattern and category that ``messages/`` (what a send carries) and
``templates/`` (what a template definition holds) check is defined here and imported from
here, so a send and a definition read each limit alike; so is the pace of sending that
Meta's error codes enforce (the errors' hints and ``retry_policy`` read it). Plain constants
and compiled patterns only: importing this costs nothing at DAG parse.

Each figure names its source: a Meta developer page, Meta's OpenAPI spec of the messaging
API (v23.0), or a section of the reference digest ``whatsapp-cloud-api-rules.md`` ("rules:").
Patterns are unanchored: a value is valid when ``fullmatch`` finds it (``PLACEHOLDER_PATTERN``
finds placeholders inside a text). The emulator (``testing/``) keeps its own reading of these
rules on purpose; ``tests/test_limits.py`` holds its figures against these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, get_args

# --- messages: envelope, text, media fields (rules: "Payload limits") ------------------------

TEXT_BODY_MAX = 4096  # rules: text body 1..4096; OpenAPI TextObject.body
CAPTION_MAX = 1024  # rules: media caption (image, video, document); OpenAPI MediaObject.caption
BIZ_OPAQUE_CALLBACK_DATA_MAX = 512  # rules: tracker biz_opaque_callback_data
# Sanity bounds Meta does not document (a wamid is ~60 characters); the emulator uses the same.
MESSAGE_ID_MAX = 512  # context.message_id, reaction.message_id, read marks
FILENAME_MAX = 240  # document filename
NAME_TEXT_MAX = 1024  # location name/address, contact formatted_name
# A reaction is one emoji; the longest ZWJ sequences are about 10 code points.
REACTION_EMOJI_MAX_CODE_POINTS = 16  # rules: reaction (one emoji), bound ours
LATITUDE_MAX = 90  # rules: location, latitude -90..90
LONGITUDE_MAX = 180  # rules: location, longitude -180..180
# rules: contacts ("a few" per message in Meta's docs, 5 in its spec): past it, a warning only.
CONTACTS_SOFT_LIMIT = 5

# rules: phone numbers, 7..15 digits, no '+', no leading zero (E.164 without the plus).
PHONE_DIGITS_MIN = 7
PHONE_DIGITS_MAX = 15
WA_ID_PATTERN = re.compile(rf"[1-9][0-9]{{{PHONE_DIGITS_MIN - 1},{PHONE_DIGITS_MAX - 1}}}")
COUNTRY_CODE_PATTERN = re.compile(r"[A-Za-z]{2}")  # OpenAPI contact address country_code

# platform-changes-2026, usernames: a user who hides their number is addressed by a
# business-scoped user id (BSUID): their country (ISO 3166 alpha-2, upper case), a dot, and
# an id (``US.13491208655302741918``); a parent BSUID (one per business portfolio) has
# ``ENT.`` before the id (``US.ENT.506847293015824``). Partners' copies of Meta's page call
# the id "a unique alphanumeric string" and give no length: the bound is ours (Meta's
# examples have 15 and 20 characters). Sent as ``recipient``, never as ``to``.
BSUID_ID_MAX = 128
BSUID_PARENT_MARK = "ENT"
BSUID_PATTERN = re.compile(
    rf"[A-Z]{{2}}\.(?:{BSUID_PARENT_MARK}\.)?[A-Za-z0-9]{{1,{BSUID_ID_MAX}}}"
)
# Meta's "Business-scoped user IDs" page: one-tap, zero-tap and copy-code authentication
# templates still need a phone number (error 131062 for a BSUID). They are the three
# otp_type values of an AUTHENTICATION template's OTP button, so every such template.
PHONE_ONLY_OTP_TYPES: tuple[str, ...] = ("COPY_CODE", "ONE_TAP", "ZERO_TAP")

# --- interactive messages (rules: interactive, reply buttons, list, cta_url) -----------------

INTERACTIVE_HEADER_TEXT_MAX = 60  # rules: interactive header text; OpenAPI HeaderObject.text
INTERACTIVE_BODY_TEXT_MAX = 1024  # rules: interactive body; OpenAPI BodyObject.text
INTERACTIVE_FOOTER_TEXT_MAX = 60  # rules: interactive footer; OpenAPI FooterObject.text
REPLY_BUTTONS_MAX = 3  # rules: reply buttons 1..3
REPLY_BUTTON_ID_MAX = 256  # rules: reply button id 1..256
REPLY_BUTTON_TITLE_MAX = 20  # rules: reply button title 1..20
LIST_BUTTON_TEXT_MAX = 20  # rules: list button text 1..20
LIST_SECTIONS_MAX = 10  # rules: list 1..10 sections
LIST_ROWS_MAX = 10  # rules: list, 10 rows in total across sections
LIST_SECTION_TITLE_MAX = 24  # rules: list section title <= 24
LIST_ROW_ID_MAX = 200  # rules: list row id 1..200
LIST_ROW_TITLE_MAX = 24  # rules: list row title 1..24
LIST_ROW_DESCRIPTION_MAX = 72  # rules: list row description <= 72
CTA_URL_DISPLAY_TEXT_MAX = 20  # rules: cta_url parameters.display_text 1..20

# --- media files (rules: "Media") ------------------------------------------------------------

KB = 1024
MB = 1024 * KB
# rules: Media, accepted mime types per media type.
MEDIA_MIME_TYPES: Mapping[str, tuple[str, ...]] = {
    "audio": ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"),
    "document": (
        "text/plain",
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "image": ("image/jpeg", "image/png"),
    "sticker": ("image/webp",),
    "video": ("video/mp4", "video/3gpp"),
}
# rules: Media, max size per media type. A sticker is 100 KB static, 500 KB animated: which
# one a file is needs a WebP parser, so the larger figure is the limit and errors name both.
MEDIA_MAX_BYTES: Mapping[str, int] = {
    "audio": 16 * MB,
    "document": 100 * MB,
    "image": 5 * MB,
    "sticker": 500 * KB,
    "video": 16 * MB,
}
STICKER_STATIC_MAX_BYTES = 100 * KB  # rules: Media, static sticker

# --- templates: names, languages, categories, placeholders -----------------------------------

TEMPLATE_NAME_MAX = 512  # rules: template name ^[a-z0-9_]{1,512}$
TEMPLATE_NAME_PATTERN = re.compile(rf"[a-z0-9_]{{1,{TEMPLATE_NAME_MAX}}}")
# Meta's "Supported languages" page (templates): every code is a 2- or 3-letter lower-case
# language (en, fil, prs_AF's prs), alone or with an upper-case 2-letter region after '_'
# (en_US, pt_BR, zh_CN, rw_RW). Codes are case-sensitive and en / en_US are different
# templates (rules: template language); no numeric region such as es_419 is on the list.
LANGUAGE_CODE_PATTERN = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")
# rules: template create components, "categories AUTHENTICATION, MARKETING, UTILITY".
TemplateCategory = Literal["AUTHENTICATION", "MARKETING", "UTILITY"]
TEMPLATE_CATEGORIES: tuple[str, ...] = get_args(TemplateCategory)
# rules: template create components, "{{1}} or {{name}} placeholders"; a send's
# parameter_name is the name inside a template's {{name}}, so both use NAMED_PLACEHOLDER.
PLACEHOLDER_PATTERN = re.compile(r"\{\{([^{}]*)\}\}")
POSITIONAL_PLACEHOLDER_PATTERN = re.compile(r"[1-9][0-9]*")
NAMED_PLACEHOLDER_PATTERN = re.compile(r"[a-z_][a-z0-9_]*")

# --- template definitions (Meta's "Template components" page unless named) -------------------

TEMPLATE_HEADER_TEXT_MAX = 60  # rules: template create components, HEADER TEXT <= 60
TEMPLATE_HEADER_PLACEHOLDERS_MAX = 1  # Template components: a text header takes one variable
TEMPLATE_BODY_TEXT_MAX = 1024  # rules: template create components, BODY <= 1024
TEMPLATE_FOOTER_TEXT_MAX = 60  # rules: template create components, FOOTER <= 60
TEMPLATE_BUTTONS_MAX = 10  # rules: template create components, BUTTONS <= 10 in all
TEMPLATE_BUTTON_TEXT_MAX = 25  # rules: template create components, button label <= 25
# rules: template create components (QUICK_REPLY 10, URL 2, PHONE_NUMBER 1, COPY_CODE 1);
# the other types: Template components, one each.
TEMPLATE_BUTTON_TYPE_MAX: Mapping[str, int] = {
    "QUICK_REPLY": 10,
    "URL": 2,
    "PHONE_NUMBER": 1,
    "COPY_CODE": 1,
    "OTP": 1,
    "FLOW": 1,
    "CATALOG": 1,
    "MPM": 1,
    "SPM": 1,
    "VOICE_CALL": 1,
}
TEMPLATE_BUTTON_URL_MAX = 2000  # Template components: URL button url <= 2000
TEMPLATE_BUTTON_PHONE_NUMBER_MAX = 20  # Template components: phone_number <= 20
# Meta's coupon-template page (updated Dec 2025): the copy code is at most 20 characters
# (pages from before said 15). The same limit for a definition's example and a send's code.
COUPON_CODE_MAX = 20
OTP_SUPPORTED_APPS_MAX = 5  # Meta's authentication-templates page: supported_apps <= 5
OTP_PACKAGE_NAME_MAX = 224  # authentication-templates page: Android package name <= 224
OTP_SIGNATURE_HASH_LENGTH = 11  # authentication-templates page: app signature hash, exactly 11
CODE_EXPIRATION_MINUTES_MIN = 1  # authentication-templates page: code_expiration_minutes 1..90
CODE_EXPIRATION_MINUTES_MAX = 90
CAROUSEL_CARDS_MAX = 10  # Meta's media-card-carousel page: 1..10 cards
CAROUSEL_CARD_BODY_MAX = 160  # media-card-carousel page: card body <= 160
CAROUSEL_CARD_BUTTONS_MAX = 2  # media-card-carousel page: 1..2 buttons a card
LIMITED_TIME_OFFER_TEXT_MAX = 16  # Meta's limited-time-offer page: offer text <= 16
LIMITED_TIME_OFFER_BODY_MAX = 600  # limited-time-offer page: body <= 600
# Meta's template time-to-live page: message_send_ttl_seconds per category (auth 30 s..15 min,
# utility 30 s..12 h, marketing 12 h..30 days).
MESSAGE_SEND_TTL_SECONDS: Mapping[str, tuple[int, int]] = {
    "AUTHENTICATION": (30, 900),
    "UTILITY": (30, 43_200),
    "MARKETING": (43_200, 2_592_000),
}

# --- template sends (rules: template send components) ----------------------------------------

TEMPLATE_TEXT_PARAMETER_MAX = 32768  # OpenAPI TextParameter.text maxLength
# A header text parameter is at most TEMPLATE_HEADER_TEXT_MAX (the whole header is); a
# COPY_CODE button's coupon_code at most COUPON_CODE_MAX; a button index is the button's
# position, 0..TEMPLATE_BUTTONS_MAX - 1.
CURRENCY_CODE_PATTERN = re.compile(r"[A-Z]{3}")  # OpenAPI currency code: ISO 4217

# --- sending pace (Meta's messaging limits; rules: "Error codes") ----------------------------

# platform-changes-2026, messaging limits: about one message per 6 s to the same user;
# faster gets 131056 (pair rate limit). rules: 131056 "yes, after a few seconds".
PAIR_RATE_SECONDS = 6
# rules: 131049 (per-user marketing cap) "not within 24 h".
MARKETING_LIMIT_RETRY_HOURS = 24
# platform-changes-2026, messaging tiers; Meta's "Messaging limits" page: unique users a
# business portfolio may message outside their window per rolling 24 h, by the tier its
# numbers answer in whatsapp_business_manager_messaging_limit (None: unlimited). TIER_50 and
# TIER_1K are older tiers the OpenAPI spec still spells.
MESSAGING_LIMIT_TIERS: Mapping[str, int | None] = {
    "TIER_50": 50,
    "TIER_250": 250,
    "TIER_1K": 1_000,
    "TIER_2K": 2_000,
    "TIER_10K": 10_000,
    "TIER_100K": 100_000,
    "TIER_UNLIMITED": None,
}

# --- the provider's own layout of a human-in-the-loop request (not WhatsApp's) ---------------

# Beyond this many options the request gives the page's one link, not one per option: each
# link is ~150 characters of the 1024 a cta_url body holds (INTERACTIVE_BODY_TEXT_MAX).
HITL_OPTION_LINKS_MAX = 6
# A longer subject is shortened in the request, so the links after it still fit.
HITL_SUBJECT_MAX = 200
