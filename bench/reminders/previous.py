"""The email channel of the previous head (commit 1056b99), kept verbatim for the benchmark.

One SMTP session per message. `bench/reminders/run.py` times it in the same run as the
current channel (one session reused across a dispatch run), for the ratio.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import formatdate

from notifications.channels import Outgoing, PermanentFailure, TemporaryFailure


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    security: str = "starttls"  # starttls | tls | none
    sender: str = "merzim@localhost"
    user: str | None = None  # from the environment (MERZIM_SMTP_USER)
    password: str | None = None  # from the environment (MERZIM_SMTP_PASSWORD)
    timeout: float = 30.0


# Headers are not folded: Python's folding of a long non-ASCII Subject splits it into encoded
# words with the space between them outside, and readers drop it ("перенесёниз-за"). One
# line up to SMTP's 998 characters reads right everywhere.
POLICY = email_policy.SMTP.clone(max_line_length=998)


def build_message(settings: SmtpSettings, msg: Outgoing) -> EmailMessage:
    email = EmailMessage(policy=POLICY)
    email["From"] = settings.sender
    email["To"] = msg.address
    email["Subject"] = " ".join(msg.subject.split())  # a header is one line (names may hold \n)
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = msg.message_id
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(msg.text)
    email.add_alternative(msg.html, subtype="html")
    return email


class PreviousEmailChannel:
    """Sends one message per SMTP session (simple and robust against half-open connections)."""

    name = "email"

    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    def send(self, msg: Outgoing) -> None:
        s = self.settings
        try:
            if s.security == "tls":
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            with client:
                if s.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if s.user:
                    client.login(s.user, s.password or "")
                client.send_message(build_message(s, msg))
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure(f"recipient refused: {exc.recipients}") from None
        except smtplib.SMTPResponseException as exc:
            err = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if 500 <= exc.smtp_code < 600 and exc.smtp_code not in (530, 535):
                raise PermanentFailure(err) from None
            raise TemporaryFailure(err) from None
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"SMTP {type(exc).__name__}: {exc}") from None
