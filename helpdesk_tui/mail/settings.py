"""Mail settings (mailboxes, SMTP, the desk's own addresses): the [mail] table of the config."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class MailSettings(BaseModel):
    """Mail is off until at least one mailbox is configured."""

    model_config = ConfigDict(extra="forbid")
