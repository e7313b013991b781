"""How the back office writes dates and money: one way per language, everywhere (admin,
emails, status page, supplier emails).

- Dates: the locale's own words, never a form that reads differently in another country:
  "8 Dec 2026" in English, "8. Dezember 2026" in German; times on the 24-hour clock. The format
  modules beside this file (FORMAT_MODULE_PATH) hold them, so Django's `date` filter, the admin and
  `formats.date_format` all write the same. Forms take ISO dates in English ("2026-12-08") and
  the German "08.12.2026".
- Money: the shop's currency (SYMBOL, the euro) with the locale's separators and symbol
  place: "€4,713.50" in English, "4.713,50 €" in German. `money` is the one function that writes
  it; the `money` template filter calls it.
"""

from decimal import Decimal

from django.utils import formats, translation

SYMBOL = "€"
# Where the symbol goes, per language (the number is formatted with that language's separators).
PATTERNS = {"en": "{symbol}{number}", "de": "{number}\N{NO-BREAK SPACE}{symbol}"}


def money(amount, language=None):
    """An amount as the active (or given) language writes it, with its currency."""
    if amount is None or amount == "":
        return ""
    with translation.override(language or translation.get_language()):
        amount = Decimal(amount)
        number = formats.number_format(abs(amount), 2, use_l10n=True, force_grouping=True)
        pattern = PATTERNS.get((translation.get_language() or "en")[:2], PATTERNS["de"])
        text = pattern.format(symbol=SYMBOL, number=number)
    return f"-{text}" if amount < 0 else text


def day(value, language=None):
    """A date (or the date of a datetime) as the active (or given) language writes it."""
    if value is None:
        return ""
    with translation.override(language or translation.get_language()):
        return formats.date_format(value, "DATE_FORMAT")
