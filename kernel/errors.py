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
