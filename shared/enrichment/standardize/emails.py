"""Email addresses: syntax checked and normalized with email-validator (no DNS), `Name <email>` cells,
free-mail providers, and the company name a business domain implies.

email-validator spends most of its time validating the domain (IDNA rules, character by
character), and lead lists repeat a handful of domains. An address whose local part is plain
ASCII dot-atom text therefore has its domain validated by the library once and cached; every
other address goes through `validate_email` whole. Tests hold the shortcut to the library's answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import getaddresses, parseaddr
from functools import lru_cache

from shared.enrichment.standardize.text import words

# ASCII dot-atom local part (a subset of RFC 5322 atext) @ ASCII host name: the common shape.
_SIMPLE_ADDRESS = re.compile(r"[A-Za-z0-9_%+'\-]+(?:\.[A-Za-z0-9_%+'\-]+)*@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")
_MAX_ADDRESS = 254  # RFC 5321, the limit email-validator applies to the whole address
_SEVERAL = re.compile(r"[;,\s]+")
_NAME_ADDRESS = re.compile(r'"?([^"<>]*?)"?\s*<([^<>]*)>')


@dataclass(frozen=True, slots=True)
class EmailResult:
    email: str | None  # normalized and lower-cased; None when invalid
    error: str | None  # email-validator's reason when invalid
    partial: bool = False  # the cell held several addresses; email is the first valid one


def _lower(normalized: str) -> str:
    # Local parts are case-sensitive by the RFCs, but every CRM and mail provider treats them
    # as case-insensitive, and dedupe must see "Ana@X.com" and "ana@x.com" as one person.
    return normalized.lower()


@lru_cache(maxsize=4096)
def _domain_is_valid(domain: str) -> bool:
    """Whether email-validator accepts `domain` unchanged apart from case (so its normalized form is domain.lower())."""
    # here, not at the top: email-validator (with idna) is imported at the first address, not at cold start
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email("a@" + domain, check_deliverability=False)
    except EmailNotValidError:
        return False
    return str(result.domain) == domain.lower()


def _validate(address: str) -> EmailResult:
    simple = _SIMPLE_ADDRESS.fullmatch(address)
    if simple and len(address) <= _MAX_ADDRESS and _domain_is_valid(simple.group(1)):
        return EmailResult(_lower(address), None)
    # here, not at the top: email-validator (with idna) is imported at the first address, not at cold start
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return EmailResult(None, str(exc))
    return EmailResult(_lower(result.normalized), None)


@lru_cache(maxsize=16384)
def normalize_email(raw: str) -> EmailResult:
    """Normalized address for one email cell ("mailto:" and surrounding "<>" allowed)."""
    text = raw.strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    result = _validate(text)
    if result.email is None and text.count("@") > 1:
        for part in _SEVERAL.split(text):
            if "@" in part:
                first = _validate(part)
                if first.email:
                    return EmailResult(first.email, None, partial=True)
    return result


def split_name_email(value: str) -> tuple[str, str] | None:
    """(display name, address) of a `"Ana Lima" <ana@x.com>` or `ana@x.com (Ana Lima)` cell; None without either.

    The address is returned as written, valid or not, so that an invalid one is reported; a
    display name that is itself an address (as Outlook writes them) counts as no name.
    """
    if "@" not in value and "<" not in value:
        return None
    if "<" not in value and "(" not in value and '"' not in value:
        return ("", value.strip()) if " " not in value.strip() else None
    # The common shape, without the email package's full RFC 5322 parser (and its comma splitting).
    simple = _NAME_ADDRESS.fullmatch(value.strip())
    if simple:
        name, address = simple.group(1), simple.group(2).strip()
    else:
        pairs = getaddresses([value])
        name, address = pairs[0] if len(pairs) == 1 else parseaddr(value)
        if "@" not in address:
            return None
    name = "" if "@" in name else " ".join(name.split())
    return (name, address) if name or address else None


# Free-mail and ISP mailbox providers: their domain says nothing about the person's company.
# Families match the registrable label under any public suffix (yahoo.co.uk, hotmail.fr, gmx.at).
FREE_MAIL_FAMILIES = words(
    """
    gmail googlemail yahoo ymail rocketmail hotmail outlook live msn aol aim icloud gmx yandex protonmail proton
    zoho zohomail fastmail tutanota tuta mailinator yopmail guerrillamail sharklasers posteo hushmail
    mail email inbox lycos rediffmail rambler seznam libero virgilio tiscali laposte wanadoo t-online freenet
    """
)
FREE_MAIL_DOMAINS = words(
    """
    me.com mac.com web.de qq.com 163.com 126.com yeah.net sina.com sohu.com hey.com pm.me mailbox.org
    naver.com daum.net hanmail.net mail.ru bk.ru list.ru inbox.ru ya.ru ukr.net abv.bg wp.pl o2.pl onet.pl
    interia.pl orange.fr free.fr sfr.fr alice.it tin.it arcor.de comcast.net verizon.net att.net sbcglobal.net
    bellsouth.net cox.net charter.net earthlink.net optonline.net frontier.com windstream.net juno.com
    netzero.net rr.com btinternet.com sky.com virginmedia.com ntlworld.com talktalk.net bigpond.com
    optusnet.com.au shaw.ca rogers.com sympatico.ca telus.net bluewin.ch telenet.be skynet.be ziggo.nl
    kpnmail.nl planet.nl home.nl hetnet.nl xs4all.nl telefonica.net movistar.es uol.com.br bol.com.br
    terra.com.br ig.com.br 10minutemail.com temp-mail.org trashmail.com
    """
)
# Public suffixes of more than one label, so "sales.acme-corp.co.uk" is the company "acme-corp".
_MULTI_LABEL_SUFFIXES = words(
    """
    co.uk org.uk ac.uk gov.uk ltd.uk plc.uk me.uk net.uk com.au net.au org.au edu.au gov.au co.nz org.nz net.nz
    com.br net.br org.br com.mx org.mx com.ar com.co com.pe com.ve com.ec com.uy com.cn net.cn org.cn com.hk
    com.sg com.my com.tw com.tr com.pl com.pt com.es com.gr com.ua com.ph com.pk com.ng com.eg com.sa co.jp
    ne.jp or.jp ac.jp co.kr or.kr co.in net.in org.in firm.in co.za org.za co.il org.il co.id or.id co.th
    in.th com.vn co.at or.at gv.at
    """
)


# Legal forms as companies write them, when a domain ends in one ("heide-gmbh.de").
_LEGAL_FORMS = {
    form.lower(): form for form in words("GmbH AG KG UG BV NV SA SAS SARL SpA Srl LLC LLP Inc Ltd PLC Pty AB AS Oy")
}


def registrable_label(domain: str) -> str | None:
    """The label a company registered: "mail.acme-corp.co.uk" -> "acme-corp"; None for a bare suffix."""
    labels = domain.lower().rstrip(".").split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in _MULTI_LABEL_SUFFIXES:
        return labels[-3]
    if len(labels) >= 2 and ".".join(labels[-2:]) not in _MULTI_LABEL_SUFFIXES:
        return labels[-2]
    return None


def is_free_mail(domain: str) -> bool:
    labels = domain.lower().rstrip(".").split(".")
    if any(".".join(labels[start:]) in FREE_MAIL_DOMAINS for start in range(len(labels) - 1)):
        return True
    return registrable_label(domain) in FREE_MAIL_FAMILIES


@lru_cache(maxsize=4096)
def company_from_domain(domain: str) -> str | None:
    """A company name from a business email domain ("acme-corp.co.uk" -> "Acme Corp"); None for free mail."""
    if is_free_mail(domain):
        return None
    label = registrable_label(domain)
    if not label or label.startswith("xn--"):
        return None
    parts = [part for part in re.split(r"[-_]+", label) if part]
    return " ".join(_LEGAL_FORMS.get(part, part[:1].upper() + part[1:]) for part in parts) or None
