"""An email backend for the fault suite's worker processes: each message sent is one line in
FAULTS_MAIL_LOG (the customer message id, or the subject), written and synced before the
send returns, so a test can count what left even after the worker was killed. It takes
FAULTS_MAIL_DELAY_MS per message, as an ESP's API call does."""

import os
import time

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, messages):
        delay = int(os.environ.get("FAULTS_MAIL_DELAY_MS", "0")) / 1000
        with open(os.environ["FAULTS_MAIL_LOG"], "a", encoding="utf-8") as log:
            for message in messages:
                time.sleep(delay)
                metadata = getattr(message, "metadata", None) or {}
                log.write(f"{metadata.get('customer_message') or message.subject}\n")
                log.flush()
                os.fsync(log.fileno())
        return len(messages)
