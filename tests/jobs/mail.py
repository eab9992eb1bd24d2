"""Email backends for the job tests: stand-ins for the SMTP server, the one thing
outside the system (STYLE.md: mock only what is outside)."""

import os
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from smtplib import SMTPServerDisconnected

from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

MAILDIR_VARIABLE = "PTRX_TEST_MAILDIR"
DELAY_VARIABLE = "PTRX_TEST_MAIL_DELAY"


class RecordingBackend(BaseEmailBackend):
    """Writes each message to its own file in $PTRX_TEST_MAILDIR, taking
    $PTRX_TEST_MAIL_DELAY seconds first (a slow mail server); for worker subprocesses."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        directory = Path(os.environ[MAILDIR_VARIABLE])
        delay = float(os.environ.get(DELAY_VARIABLE, "0"))
        for message in email_messages:
            time.sleep(delay)
            (directory / f"{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)


class FlakyBackend(LocmemBackend):
    """Delivers to django.core.mail.outbox after failing the first `failures` sends
    with a transport error (set `FlakyBackend.failures` in the test)."""

    failures = 0
    attempts = 0
    _lock = threading.Lock()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        with FlakyBackend._lock:
            FlakyBackend.attempts += 1
            if FlakyBackend.failures > 0:
                FlakyBackend.failures -= 1
                raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(email_messages)


def recorded(directory: Path) -> list[str]:
    """The recipients of the messages a RecordingBackend wrote, one entry per message."""
    import email

    recipients = []
    for path in sorted(directory.glob("*.eml")):
        recipients.append(email.message_from_bytes(path.read_bytes())["To"])
    return recipients


def outbox_recipients() -> list[str]:
    return [address for message in mail.outbox for address in message.to]
