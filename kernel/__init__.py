"""The ground floor: what every app may use and that imports no app (clock, errors,
fields, formats, hooks, locks, parsers, permissions, queue, rate limits, API and admin
helpers, migration tools, SQL helpers). See ARCHITECTURE.md."""
