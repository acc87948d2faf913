"""Mail settings (mailboxes, SMTP, the desk's own addresses): the [mail] table of the config.

A leaf like :mod:`helpdesk_tui.config`, which reads it: the mail layer uses these models,
but the settings never import the mail layer.

Mailboxes are a table keyed by a short name, so each one's password can come from the
config file (mode 0600) or from the environment::

    [mail.mailboxes.support]
    host = "imap.example.com"
    user = "support@example.com"
    # or: HELPDESK_MAIL__MAILBOXES__SUPPORT__PASSWORD=...

    [mail.smtp]
    host = "smtp.example.com"
    # HELPDESK_MAIL__SMTP__PASSWORD=...
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from helpdesk_tui.limits_settings import DEFAULT_MAX_BODY_BYTES

DEFAULT_ACK_TEMPLATE = """\
Hello {name},

thank you for writing to {desk}. Your request has been received and is now
ticket #{number}: {subject}

Please keep [#{number}] in the subject when you write about this request again.
"""


class Security(StrEnum):
    """How the connection is protected: implicit TLS, STARTTLS, or not at all (loopback)."""

    TLS = "tls"
    STARTTLS = "starttls"
    NONE = "none"


class MailboxSettings(BaseModel):
    """One IMAP mailbox the poller reads."""

    model_config = ConfigDict(extra="forbid")

    host: str
    """IMAP server name."""
    port: int | None = Field(default=None, ge=1, le=65535)
    """Defaults to 993 with ``tls``, 143 otherwise."""
    security: Security = Security.TLS
    """``tls``, ``starttls`` or ``none`` (only for a server on this machine)."""
    user: str
    """Login name."""
    password: SecretStr = SecretStr("")
    """From the config file (mode 0600) or HELPDESK_MAIL__MAILBOXES__<NAME>__PASSWORD."""
    folder: str = "INBOX"
    """Where new mail arrives."""
    processed_folder: str = "Processed"
    """Where imported mail is moved after the database has it (created when missing)."""
    spam_folder: str | None = None
    """Where mail held as spam is moved; the processed folder when not set."""
    timeout: float = 30.0
    """Seconds to wait for the server before giving up on a connection."""

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return 993 if self.security is Security.TLS else 143

    @field_validator("host", "user", "folder", "processed_folder")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()


class SmtpSettings(BaseModel):
    """The server the outbox sends through."""

    model_config = ConfigDict(extra="forbid")

    host: str = "localhost"
    port: int | None = Field(default=None, ge=1, le=65535)
    """Defaults to 465 with ``tls``, 587 with ``starttls``, 25 otherwise."""
    security: Security = Security.STARTTLS
    user: str | None = None
    """Login for SMTP AUTH; no authentication when not set."""
    password: SecretStr = SecretStr("")
    """From the config file (mode 0600) or HELPDESK_MAIL__SMTP__PASSWORD."""
    timeout: float = 30.0

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return {Security.TLS: 465, Security.STARTTLS: 587, Security.NONE: 25}[self.security]


class MailSettings(BaseModel):
    """Mail is off until a mailbox (to read) or SMTP (to send) is configured."""

    model_config = ConfigDict(extra="forbid")

    mailboxes: dict[str, MailboxSettings] = Field(default_factory=dict)
    """IMAP mailboxes by a short name of your choice."""
    smtp: SmtpSettings | None = None
    """Outgoing mail; replies stay queued in the outbox until this is set."""
    addresses: list[str] = Field(default_factory=list)
    """The desk's own addresses; the first is From and Reply-To of everything sent."""
    display_name: str = "Helpdesk"
    """The name shown beside the desk's address."""
    message_id_secret: SecretStr = SecretStr("")
    """Signs outgoing Message-IDs so that a forged one never threads into a ticket.

    Any long random string (``python -c 'import secrets; print(secrets.token_hex(32))'``);
    keep it stable, or replies to mail sent before a change thread by stored IDs only.
    """
    ack_enabled: bool = True
    """Acknowledge each new ticket by mail."""
    ack_subject: str = "Re: {subject} [#{number}]"
    """Subject of the acknowledgement; ``{number}``, ``{subject}``, ``{name}``, ``{desk}``.

    ``{subject}`` comes without prefixes and tokens, and whatever the template, the subject
    goes out with one ``Re:`` in front and one ``[#number]`` token at the end.
    """
    ack_template: str = DEFAULT_ACK_TEMPLATE
    """Body of the acknowledgement; ``{number}``, ``{subject}``, ``{name}``, ``{desk}``."""
    ack_limit_per_hour: int = Field(default=3, ge=0)
    """At most this many acknowledgements to one sender per hour (stops loops)."""
    ack_forwards: bool = False
    """Acknowledge a ticket opened from an agent's forward too (to the original sender).

    Off by default: the customer wrote to someone else, maybe days ago, and the agent who
    forwarded it answers; a "we received your request" mail would only puzzle them.
    """
    blocked: list[str] = Field(default_factory=list)
    """Senders held as spam: full addresses or ``@domain``."""
    max_attachment_bytes: int = Field(default=25 * 1024 * 1024, ge=0)
    """Attachments over this size are not kept; the ticket gets a note instead."""
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)
    """Message text over this size (bytes of UTF-8) is stored cut to it, with a note at its
    top; the raw message keeps it all. See ``limits.max_body_bytes`` for agents' text."""
    poll_interval: float = Field(default=60.0, gt=0)
    """Seconds between polls when the server does not offer IDLE."""
    idle_restart: float = Field(default=540.0, gt=0, le=600)
    """Seconds after which IDLE is re-issued (servers drop it after 30 minutes)."""
    batch_size: int = Field(default=50, ge=1, le=1000)
    """Messages fetched and imported per database transaction (at most)."""
    batch_bytes: int = Field(default=64 * 1024 * 1024, ge=1024 * 1024)
    """Bytes of mail fetched per batch (at most; with the next batch read ahead counted in):
    memory follows the bytes in flight, not the number of messages. A single message larger
    than this is imported alone."""
    reconnect_max: float = Field(default=60.0, gt=0)
    """Longest wait between reconnection attempts (the wait doubles up to this)."""
    run_in_tui: bool = True
    """Each terminal runs the poller and sender too (the leases let one of them work), and
    the SLA alerts, with mail or without; set false to leave them to ``helpdesk mail run``
    alone."""
    lease_seconds: float = Field(default=60.0, ge=2)
    """How long a silent poller or sender on another host blocks others from taking over
    (one on this host whose process is gone is replaced at once)."""
    outbox_interval: float = Field(default=5.0, gt=0)
    """Seconds between looks at the outbox for mail due to be sent."""
    send_attempts: int = Field(default=8, ge=1)
    """Tries per outgoing message before it is marked failed."""
    retry_base: float = Field(default=30.0, gt=0)
    """First wait before a send is retried; doubles with each try."""
    retry_max: float = Field(default=3600.0, gt=0)
    """Longest wait between two tries of one message."""

    @property
    def enabled(self) -> bool:
        return bool(self.mailboxes) or self.smtp is not None

    @property
    def from_address(self) -> str | None:
        return self.addresses[0] if self.addresses else None

    @property
    def desk_addresses(self) -> tuple[str, ...]:
        """Every address of the desk's own: ``addresses`` (From first) and the mailboxes'
        logins that are addresses. None of them is ever a ticket's copy."""
        boxes = (box.user.strip().lower() for box in self.mailboxes.values())
        return (*self.addresses, *(user for user in boxes if "@" in user))

    @field_validator("addresses", "blocked")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return [v.strip().lower() for v in values if v.strip()]

    @field_validator("mailboxes")
    @classmethod
    def _names(cls, mailboxes: dict[str, MailboxSettings]) -> dict[str, MailboxSettings]:
        for name in mailboxes:
            if not name or len(name) > 40 or not name.replace("-", "").replace("_", "").isalnum():
                raise ValueError(f"mailbox name {name!r}: use letters, digits, - and _")
        return mailboxes

    @field_validator("ack_subject", "ack_template")
    @classmethod
    def _template(cls, value: str) -> str:
        sample = {"number": 1, "subject": "s", "name": "n", "desk": "d"}
        try:
            value.format_map(sample)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"cannot fill in {error}; use {{number}}, {{subject}}, {{name}}, {{desk}}"
            ) from None
        return value

    @model_validator(mode="after")
    def _needs_identity(self) -> MailSettings:
        if self.enabled and not self.addresses:
            raise ValueError("mail.addresses must name the desk's own address(es)")
        return self

    def problems(self) -> list[str]:
        """What keeps mail from running, one line each (empty when it can run)."""
        found = []
        if not self.enabled:
            found.append(
                "mail is not configured: no [mail.mailboxes.<name>] and no [mail.smtp] "
                "in the config"
            )
        if len(self.message_id_secret.get_secret_value()) < 16:
            found.append(
                "mail.message_id_secret is missing or shorter than 16 characters; set it to "
                "a long random string (python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        return found
