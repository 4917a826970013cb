"""kafka-python's log, as the consumers want it: without the warnings its network thread gives for steps
that only waited for the GIL."""

from __future__ import annotations

import logging
import re


class _GilBoundTaskFilter(logging.Filter):
    """kafka-python's network thread warns when one of its steps takes over 0.1 s. Reading a fetch response
    of several MiB in 4 KiB receives, it waits for the GIL at each while the consumer's thread computes: a
    step of 0.2-0.3 s, once a second, that delays nothing (heartbeats are seconds apart). Steps of a second
    or more, and every other record of that logger, still pass."""

    slow_step = re.compile(r"Task .* ran for ([0-9.]+)s")

    def filter(self, record: logging.LogRecord) -> bool:
        found = self.slow_step.match(str(record.msg)) if record.levelno == logging.WARNING else None
        return found is None or float(found.group(1)) >= 1.0


logging.getLogger("kafka.net.selector").addFilter(_GilBoundTaskFilter())
