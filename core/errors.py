"""Domain errors of the core; the API maps each to its HTTP status in one place (api/app.py)."""

from __future__ import annotations


class AccountError(ValueError):
    """A request about accounts that cannot be carried out as asked (HTTP 422)."""


class Forbidden(AccountError):
    """The caller may not do this to this account or company (HTTP 403)."""


class EmailTaken(AccountError):
    """Another user already has this email (HTTP 409)."""


class CompanyInUse(AccountError):
    """The company still has data that refers to it (HTTP 409)."""


class WeakPassword(AccountError):
    """The password policy refuses the password (HTTP 422)."""


class AwsAccessInvalid(ValueError):
    """A company's AWS access settings do not fit together, or one is malformed (HTTP 422)."""


class NotificationSettingInvalid(ValueError):
    """A notification setting cannot be used, e.g. a Slack webhook URL outside hooks.slack.com (HTTP 422)."""


class RoutingFailed(Exception):
    """Temporal could not take the alert now; it stays stored and is redelivered later. Not an HTTP error:
    the webhook answers 202 (queued).

    `transient`: Temporal was unavailable or overloaded, which says nothing about the alert itself. Any
    other failure counts towards setting the alert aside as undeliverable.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class OncallInvalid(ValueError):
    """A schedule or escalation chain names someone who cannot be on call for its company (HTTP 422)."""


class ChainExists(ValueError):
    """The company has its escalation chain already: change that one (HTTP 409)."""


class AssigneeRefused(ValueError):
    """The user cannot take the incident: unknown, disabled, or of another company (HTTP 422)."""
