"""Domain errors that every door (page, API, task) maps the same way."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule was broken by the input: 400 in the API, a form error on a page."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, message=None, *, code: str | None = None, field: str | None = None):
        self.message = message or _("The request breaks a business rule.")
        self.code = code or self.default_code
        self.field = field
        super().__init__(str(self.message))


class Conflict(DomainError):
    """The object is not in a state that allows this action: 409."""

    status_code = 409
    default_code = "conflict"
