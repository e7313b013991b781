"""Model helpers every app may use."""


class SingleRow:
    """A model of one row (id 1, a check constraint keeps it so): a policy a migration
    creates and a manager edits. `current()` reads it, or the defaults if the row is gone;
    reading never writes."""

    @classmethod
    def current(cls):
        return cls.objects.filter(pk=1).first() or cls(pk=1)
