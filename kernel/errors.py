"""Errors raised by services. Each names what is wrong (field, line index, SKU) so the
API and the admin can tell the user exactly which input to fix; raising one inside a
service's transaction rolls back everything it did."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    message: str
    field: str | None = None
    line: int | None = None
    sku: str | None = None
    code: str = "invalid"

    def as_dict(self):
        return {key: value for key, value in asdict(self).items() if value is not None}


class DomainError(Exception):
    status = 400

    def __init__(self, problems):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("; ".join(problem.message for problem in self.problems))

    @classmethod
    def one(cls, message, **where):
        return cls([Problem(message, **where)])

    def as_body(self):
        """The error body every JSON answer uses: {"errors": [{message, code, field?, line?, sku?}]}."""
        return {"errors": [problem.as_dict() for problem in self.problems]}


class InvalidInput(DomainError):
    status = 400


class Conflict(DomainError):
    """The request is well formed but the state of things does not allow it."""

    status = 409


class NotFound(DomainError):
    status = 404


def refuse(invalid=(), unknown=(), conflicting=()):
    """Raise every problem found at once, as the most basic kind among them: InvalidInput (400)
    when any input is not what the schema states, else NotFound (404) when it names something
    that does not exist, else Conflict (409) when the state of things does not allow it. A
    request that is well formed is never a 400, so a shop tells its mistakes from the state of
    our stock. The problems are listed by line. Returns when there are none."""
    problems = sorted(
        [*invalid, *unknown, *conflicting], key=lambda problem: -1 if problem.line is None else problem.line
    )
    if problems:
        raise (InvalidInput if invalid else NotFound if unknown else Conflict)(problems)
