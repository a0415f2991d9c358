"""Phone numbers to E.164 with phonenumbers, made fast enough for bulk rows.

Two costs dominate in phonenumbers: `parse`, and validation, which tests a number against up
to eleven number-type patterns, each looked up and matched on every call (and twice for
NANP numbers, whose region is itself found by validation). So:

- A cell that is only digits and separators, and either NANP ("(212) 555-0178") or written
  with its "+" country code ("+44 20 7946 0958"), is split into calling code and national
  number directly instead of through `parse`, when `parse` would not change it further
  (no national prefix to strip, no leading zero to keep).
- Validity and region are decided by the same rules as `phonenumbers.is_valid_number` and
  `region_code_for_number`, from phonenumbers' own metadata, with each region's type
  patterns joined into one compiled pattern per number length. `tests/unit/enrichment/standardize`
  holds both shortcuts to the library's answers.

Everything the shortcuts do not cover, and every number they find invalid, goes through
`phonenumbers.parse` and `is_valid_number`, so the library has the last word on what is invalid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumber, PhoneNumberFormat, ValidationResult

NANP_REGIONS: frozenset[str] = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1])
_NANP_SHAPED = re.compile(r"\+?[0-9 ().\-]+")
_NOT_DIGIT = re.compile(r"\D+")
_SPREADSHEET_FLOAT = re.compile(r"(\d{6,})\.0+")
_SEVERAL = re.compile(r"\s*(?:[;,/|]|\bor\b)\s*")
# A trailing extension in the spellings phonenumbers reads the same way: "x42", "ext. 42", "extension 42".
_EXTENSION = re.compile(r"(.*?\d)\s*(?:x|ext\.?|extension)\s*(\d{1,7})", re.IGNORECASE)
# The number types phonenumbers tries, in its order; a number is valid when it is of any type.
_TYPE_DESCS = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
    "fixed_line", "mobile",
)  # fmt: skip

_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country calling code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}
_LENGTH_ERRORS = {
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "wrong length",
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country calling code",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "local number without area code",
}


@dataclass(frozen=True, slots=True)
class PhoneResult:
    e164: str | None  # None when the cell holds no valid number
    region: str | None  # the region the number belongs to
    explicit_country: bool  # the cell carried its own country code (+44..., 0044...), not the assumed region
    extension: str | None
    error: str | None  # why e164 is None
    partial: bool = False  # the cell held several numbers; e164 is the first valid one


# --- validity from phonenumbers' metadata ----------------------------------------------------------------


def _desc_allows(desc: object, length: int) -> str | None:
    """The desc's pattern if a number of `length` digits may match it, the way phonenumbers tests a desc."""
    pattern = getattr(desc, "national_number_pattern", None) if desc is not None else None
    lengths: tuple[int, ...] = getattr(desc, "possible_length", ())
    if not pattern or (lengths and length not in lengths):
        return None
    return str(pattern)


@lru_cache(maxsize=4096)
def _type_pattern(region: str, length: int) -> re.Pattern[str] | None:
    """One pattern matching exactly the numbers of `length` digits that have a type in `region`."""
    metadata = PhoneMetadata.metadata_for_region(region, None)
    if metadata is None or _desc_allows(metadata.general_desc, length) is None:
        return None
    general = _desc_allows(metadata.general_desc, length)
    types = [found for name in _TYPE_DESCS if (found := _desc_allows(getattr(metadata, name), length))]
    if not types:
        return None
    # fullmatch of the general pattern and of any type pattern, as _number_type_helper requires.
    return re.compile(f"(?=(?:{general})$)(?:" + "|".join(f"(?:{pattern})" for pattern in types) + ")")


@lru_cache(maxsize=512)
def _leading_digits(region: str) -> re.Pattern[str] | None:
    metadata = PhoneMetadata.metadata_for_region(region, None)
    return re.compile(metadata.leading_digits) if metadata is not None and metadata.leading_digits else None


def _valid_in(national: str, region: str) -> bool:
    pattern = _type_pattern(region, len(national))
    return pattern is not None and pattern.fullmatch(national) is not None


def region_and_validity(country_code: int, national: str) -> tuple[str | None, bool]:
    """(region_code_for_number, is_valid_number) for a number given as calling code and national significant number.

    Same rules as phonenumbers: with several regions per calling code, the first whose leading
    digits match, or (without leading digits) for which the number is valid, is the region.
    """
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    if len(regions) == 1:
        return regions[0], _valid_in(national, regions[0])
    for region in regions:
        leading = _leading_digits(region)
        if leading is not None:
            if leading.match(national):
                return region, _valid_in(national, region)
        elif _valid_in(national, region):
            return region, True
    return None, False


def _checked(number: PhoneNumber) -> tuple[str | None, bool]:
    country_code = number.country_code or 0
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    if not regions or phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY in regions:
        # +800 and other non-geographic numbers: rare, so left to the library.
        return phonenumbers.region_code_for_number(number), phonenumbers.is_valid_number(number)
    return region_and_validity(country_code, phonenumbers.national_significant_number(number))


# --- cells -------------------------------------------------------------------------------------------------


def _nanp_shortcut(text: str, region: str) -> PhoneResult | None:
    """The number when `text` is plain NANP digits (and maybe an extension) and valid; None means "ask parse"."""
    extension = None
    if not _NANP_SHAPED.fullmatch(text):
        with_extension = _EXTENSION.fullmatch(text)
        if with_extension is None or not _NANP_SHAPED.fullmatch(with_extension.group(1)):
            return None
        text, extension = with_extension.group(1), with_extension.group(2)
    explicit = text.startswith("+")
    if not explicit and region not in NANP_REGIONS:
        return None
    digits = _NOT_DIGIT.sub("", text)
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    elif explicit or len(digits) != 10:
        return None
    # Area codes and exchanges never start with 0 or 1; parse() reads those shapes differently.
    if digits[0] in "01" or digits[3] in "01":
        return None
    number_region, valid = region_and_validity(1, digits)
    if not valid:
        return None
    return PhoneResult("+1" + digits, number_region, explicit, extension, None)


@lru_cache(maxsize=512)
def _idd_is_00(region: str) -> bool:
    """Whether "00" starts an international number in `region` (NANP too: 00 means nothing there)."""
    metadata = PhoneMetadata.metadata_for_region(region, None)
    return region in NANP_REGIONS or (metadata is not None and metadata.international_prefix == "00")


@lru_cache(maxsize=512)
def _national_prefix(region: str) -> re.Pattern[str] | None:
    metadata = PhoneMetadata.metadata_for_region(region, None)
    prefix = metadata.national_prefix_for_parsing if metadata is not None else None
    return re.compile(f"(?:{prefix})") if prefix else None


def _international_shortcut(text: str) -> PhoneResult | None:
    """The number when `text` is "+", calling code and national digits, and valid; None means "ask parse"."""
    if not text.startswith("+") or not _NANP_SHAPED.fullmatch(text):
        return None
    digits = _NOT_DIGIT.sub("", text)
    if not digits or digits[0] == "0":
        return None
    for size in (1, 2, 3):
        country_code = int(digits[:size])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[size:]
    main_region = phonenumbers.region_code_for_country_code(country_code)
    if not 2 <= len(national) <= 17 or national[0] == "0" or main_region not in phonenumbers.SUPPORTED_REGIONS:
        return None
    # parse() strips a national prefix ("8" in Russia, "1" in NANP) even after a "+": leave those to it.
    prefix = _national_prefix(main_region)
    if prefix is not None and prefix.match(national):
        return None
    number_region, valid = region_and_validity(country_code, national)
    if not valid:
        return None
    return PhoneResult(f"+{country_code}{national}", number_region, True, None, None)


def _parse(text: str, region: str) -> tuple[PhoneNumber | str, str | None, bool]:
    """(number or the reason there is none, its region, valid)."""
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        return _PARSE_ERRORS.get(exc.error_type, "not a phone number"), None, False
    number_region, valid = _checked(number)
    return number, number_region, valid


@lru_cache(maxsize=65536)
def normalize_phone(raw: str, region: str, region_is_assumed: bool = True) -> PhoneResult:
    """E.164 for one phone cell, with `region` for numbers written without a country code.

    `region_is_assumed` is True when the region is only the stage default (no country column):
    then a long number that fails there is retried as international without its "+", which is
    how spreadsheets store "+49 151 ..." once the plus sign is lost.
    """
    text = raw.strip()
    if text[:4].lower() == "tel:":
        text = text[4:].strip()
    # Spreadsheet numbers sometimes arrive as floats: "2125550178.0".
    float_like = _SPREADSHEET_FLOAT.fullmatch(text)
    if float_like:
        text = float_like.group(1)
    shortcut = _nanp_shortcut(text, region) or _international_shortcut(text)
    if shortcut is None and text.startswith("00") and _idd_is_00(region):
        # "0049 30 901820": where 00 is the international prefix, parse() reads it as "+".
        shortcut = _international_shortcut("+" + text[2:])
    if shortcut is not None:
        return shortcut

    number, number_region, valid = _parse(text, region)
    explicit = text.startswith("+")
    if not valid and text.startswith("00"):
        # "0049 30 901820": 00 is the international prefix almost everywhere but in NANP.
        shortcut = _international_shortcut("+" + text[2:])
        if shortcut is not None:
            return shortcut
        retry = _parse("+" + text[2:], region)
        if retry[2]:
            (number, number_region, valid), explicit = retry, True
    digits = _NOT_DIGIT.sub("", text)
    if not valid and region_is_assumed and not explicit and len(digits) >= 11 and digits[0] != "0":
        retry = _parse("+" + digits, region)
        if retry[2]:
            (number, number_region, valid), explicit = retry, True
    if not valid or not isinstance(number, PhoneNumber):
        several = [part for part in _SEVERAL.split(text) if part]
        if len(several) > 1:
            for part in several:
                first = normalize_phone(part, region, region_is_assumed)
                if first.e164:
                    return PhoneResult(first.e164, first.region, first.explicit_country, first.extension, None, True)
        return PhoneResult(None, None, False, None, _why_invalid(number, region))
    return PhoneResult(
        phonenumbers.format_number(number, PhoneNumberFormat.E164),
        number_region,
        explicit,
        number.extension or None,
        None,
    )


def _why_invalid(number: PhoneNumber | str, region: str) -> str:
    if isinstance(number, str):
        return number
    reason = _LENGTH_ERRORS.get(phonenumbers.is_possible_number_with_reason(number))
    where = phonenumbers.region_code_for_country_code(number.country_code or 0)
    return reason or f"not a valid number for {where if where != 'ZZ' else region}"
