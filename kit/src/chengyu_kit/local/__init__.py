"""Local infrastructure for development and tests: Apache Kafka run from its jars
(:mod:`.kafka`), an embedded PostgreSQL (:mod:`.postgres`) and the pid-file process helpers
both use (:mod:`.processes`). A library: the ``chengyu`` ops command and the test plugin
(:mod:`chengyu_kit.testing`) build on it."""
