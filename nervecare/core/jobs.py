"""The job queue (Huey) every app schedules its background work on.

The queue is a SQLite file in DATA_DIR by default (nothing else to install or run); with REDIS_URL set it
lives in Redis instead. Start the consumer with `nervecare run_jobs`. In tests (settings.TESTING) or with
NERVECARE_JOBS_IMMEDIATE, tasks run inline in memory and no queue file is created.

A plain Huey instance rather than huey.contrib.djhuey: djhuey wants a HUEY setting and an INSTALLED_APPS
entry and otherwise assumes Redis; here the choice follows REDIS_URL with nothing else to configure.

It lives in the platform layer so that any app may define tasks (scheduling's reminders, outcomes' reports,
interop's exports, core's audit sealing) without importing another app. Each app's tasks module is imported
by its AppConfig.ready, so the consumer knows every task.
"""

from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from huey import Huey, RedisHuey, SqliteHuey

QUEUE_NAME = "nervecare"


def make_huey() -> Huey:
    """The queue chosen from the settings: RedisHuey when REDIS_URL is set, else SqliteHuey in DATA_DIR."""
    immediate = bool(getattr(settings, "NERVECARE_JOBS_IMMEDIATE", getattr(settings, "TESTING", False)))
    redis_url = getattr(settings, "REDIS_URL", "")
    if redis_url:
        return RedisHuey(QUEUE_NAME, url=redis_url, immediate=immediate)
    data_dir = Path(getattr(settings, "DATA_DIR", Path.cwd()))
    if not immediate:
        data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(data_dir / "jobs.sqlite3"), immediate=immediate)


huey = make_huey()


# The consumer runs tasks in its own threads or processes: give each task a usable database connection and
# release it afterwards, as Django does around a request. Not in immediate mode, where a task runs inside
# the caller (a request or a test) and must keep the caller's connection and transaction.
@huey.pre_execute()
def _fresh_db_connection(task: object) -> None:
    if not huey.immediate:
        close_old_connections()


@huey.post_execute()
def _release_db_connection(task: object, task_value: object, exc: BaseException | None) -> None:
    if not huey.immediate:
        close_old_connections()
