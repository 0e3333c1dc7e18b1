"""What a runbook's author may write: every field checked, so that a stored runbook always renders.

The API validates requests with these models and the starter library is built from them, so both pass
the same checks. A failed check is a 422 whose message says what to change.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from core.runbooks.render import LABEL_SOURCE, SOURCES
from workflows.remediation.types import ExecutorKind, RiskLevel

MAX_ACTIONS = 50
MAX_COMMAND_CHARS = 4096
MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS = 5, 3600
IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
LABEL_NAME = re.compile(r"[A-Za-z0-9_.:/-]{1,255}")
# What render.py would take for a placeholder: `{name}` not preceded by `$` (`${HOME}` is the shell's).
# Names that are not identifiers (`{}`, `{a,b}`, `{ print $1 }`) are shell or awk syntax, never ours.
PLACEHOLDER = re.compile(r"(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a shell would cut the command at it.
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


def _stripped_not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


def _command(value: str) -> str:
    if not value.strip():
        raise ValueError("a command must not be blank")
    return value


NoNul = AfterValidator(_no_nul)
Command = Annotated[
    str,
    Field(
        max_length=MAX_COMMAND_CHARS, description=f"a shell command, at most {MAX_COMMAND_CHARS} characters"
    ),
    NoNul,
    AfterValidator(_command),
]
Glob = Annotated[str, Field(max_length=255), NoNul, AfterValidator(_stripped_not_blank)]


def source_refusal(source: str) -> str | None:
    """Why `source` cannot fill a parameter, or None when it can."""
    if source in SOURCES:
        return None
    if source.startswith(LABEL_SOURCE):
        if LABEL_NAME.fullmatch(source[len(LABEL_SOURCE) :]):
            return None
        return f"{source!r}: a label name is 1 to 255 of A-Z a-z 0-9 _ . : / -"
    return f"{source!r} is not a source: use asset_name, asset_id or label:<name>"


class Parameter(BaseModel):
    """A value filled into `{name}` in the commands: taken from `source`, checked in full against
    `pattern`, then shell-quoted. Alert text (message, description) is never a source."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(pattern=IDENTIFIER, description="an identifier: used as {name} in commands")]
    source: Annotated[str, Field(max_length=300, description="asset_name, asset_id or label:<name>"), NoNul]
    pattern: Annotated[
        str,
        Field(min_length=1, max_length=500, description="a regular expression the whole value must match"),
        NoNul,
    ]

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        refusal = source_refusal(value)
        if refusal:
            raise ValueError(refusal)
        return value

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except (re.error, OverflowError, RecursionError) as err:  # a{99999999999}: OverflowError
            raise ValueError(f"not a valid regular expression: {err}") from None
        return value


class RunbookSpec(BaseModel):
    """A whole runbook as its author writes it; PUT replaces every field, as POST sets them."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200), NoNul, AfterValidator(_stripped_not_blank)]
    description: Annotated[str, Field(max_length=2000), NoNul] = ""
    signatures: Annotated[list[Glob], Field(min_length=1, max_length=50)] = Field(
        description="globs (*, ?, [abc]) on the alert signature, case-insensitive: disk_*"
    )
    risk_level: RiskLevel
    executor: ExecutorKind = Field(description="ssm: on the asset's instances; local: on the worker's host")
    actions: Annotated[list[Command], Field(min_length=1, max_length=MAX_ACTIONS)]
    rollback_actions: Annotated[list[Command], Field(max_length=MAX_ACTIONS)] = Field(
        default_factory=list,
        description="rollback_actions[i] undoes actions[i]; at most as many as actions",
    )
    pre_check: Command | None = Field(default=None, description="exit 0: nothing to fix, the run is skipped")
    post_check: Command | None = Field(default=None, description="exit 0: healthy after the actions")
    parameters: Annotated[list[Parameter], Field(max_length=20)] = Field(default_factory=list)
    auto_approve: bool = Field(
        default=False, strict=True, description="may run unapproved where the company's risk tolerance allows"
    )
    timeout_seconds: Annotated[int, Field(ge=MIN_TIMEOUT_SECONDS, le=MAX_TIMEOUT_SECONDS, strict=True)] = 300
    demo: bool = Field(default=False, strict=True, description="harmless, for `alert-whisperer demo`")

    @model_validator(mode="after")
    def _consistent(self) -> RunbookSpec:
        if len(self.rollback_actions) > len(self.actions):
            raise ValueError(
                f"rollback_actions: {len(self.rollback_actions)} for {len(self.actions)} actions; "
                "rollback_actions[i] undoes actions[i], so there can be no more of them than actions"
            )
        names = [p.name for p in self.parameters]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"parameters: {', '.join(duplicates)} declared more than once")
        undeclared = sorted({name for c in self.commands() for name in PLACEHOLDER.findall(c)} - set(names))
        if undeclared:
            raise ValueError(
                f"placeholders {', '.join('{' + n + '}' for n in undeclared)} name no declared parameter "
                "(declare them, or write ${NAME} for a shell variable)"
            )
        return self

    def commands(self) -> list[str]:
        checks = [c for c in (self.pre_check, self.post_check) if c is not None]
        return [*self.actions, *self.rollback_actions, *checks]

    def stored(self) -> dict[str, Any]:
        """The runbook table's columns for this spec (a subclass's extra fields, such as the API's
        company_id, are not among them)."""
        return self.model_dump(mode="json", include=set(RunbookSpec.model_fields))
