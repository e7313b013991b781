"""How the back office writes dates and money: one way per language, everywhere (admin,
emails, status page, supplier emails).

- Dates: the locale's own words, never a form that reads differently in another country:
  "8 Dec 2026" in English, "8. Dezember 2026" in German; times on the 24-hour clock. The format
  modules beside this file (FORMAT_MODULE_PATH) hold them, so Django's `date` filter, the admin and
  `formats.date_format` all write the same. Forms take ISO dates in English ("2026-12-08") and
  the German "08.12.2026".
- Money: in the shop's currency (the euro) unless an amount says another (an order from a
  shop selling in dollars: its refunds in dollars), with the locale's separators and symbol
  place: "€4,713.50" in English, "4.713,50 €" in German; "$12.00", "12,00 $"; a currency
  without a symbol here by its code, "CHF 12.00", "12,00 CHF". `money` is the one function
  that writes it; the `money` template filter calls it (`amount|money:order.currency`).
"""

from decimal import Decimal

from django.utils import formats, translation

CURRENCY = "EUR"
# Symbols only where they name one currency to the shop's customers; others are written by code.
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
# Where the symbol (or code) goes, per language; the number has that language's separators.
PATTERNS = {"en": "{symbol}{number}", "de": "{number}\N{NO-BREAK SPACE}{symbol}"}
CODE_PATTERNS = {"en": "{symbol}\N{NO-BREAK SPACE}{number}", "de": PATTERNS["de"]}


def money(amount, language=None, currency=None):
    """An amount as the active (or given) language writes it, in `currency` (an ISO code; the
    shop's own when not given)."""
    if amount is None or amount == "":
        return ""
    code = (currency or CURRENCY).upper()
    with translation.override(language or translation.get_language()):
        amount = Decimal(amount)
        number = formats.number_format(abs(amount), 2, use_l10n=True, force_grouping=True)
        patterns = PATTERNS if code in SYMBOLS else CODE_PATTERNS
        pattern = patterns.get((translation.get_language() or "en")[:2], patterns["de"])
        text = pattern.format(symbol=SYMBOLS.get(code, code), number=number)
    return f"-{text}" if amount < 0 else text


def day(value, language=None):
    """A date (or the date of a datetime) as the active (or given) language writes it."""
    if value is None:
        return ""
    with translation.override(language or translation.get_language()):
        return formats.date_format(value, "DATE_FORMAT")
