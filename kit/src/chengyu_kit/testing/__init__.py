"""Testing support for the services of the kit: a pytest plugin and its helpers.

* :mod:`.plugin` (loaded by pytest through the kit's ``pytest11`` entry point): the session
  fixtures ``postgres``, ``database``, ``kafka_cluster``, ``kafka`` and ``key_files``.
* :mod:`.keys`: :class:`KeyFiles`, the signing keys of two test agencies on disk.
* :mod:`.kafka`: :func:`create_topics` for a test's own topics; :func:`kafka_options` and
  :func:`settings_login` to log in to the (secured) session broker as its admin.
* :mod:`.stand_in`: a stand-in runtime for a service's HTTP tests (no Kafka).
* :mod:`.bus`: two cities on real PostgreSQL with a hand-kept log between them.

Only the names below are imported here, so loading the plugin stays cheap.
"""

from __future__ import annotations

from chengyu_kit.testing.kafka import create_topics, kafka_options, settings_login
from chengyu_kit.testing.keys import KeyFiles, write_key_files

__all__ = ["KeyFiles", "create_topics", "kafka_options", "settings_login", "write_key_files"]
