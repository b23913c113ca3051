"""Alembic environment: the URL comes from the caller (storage.migrate) or BOT_DATABASE_URL."""

from alembic import context
from sqlalchemy import create_engine

from core.settings import get_settings
from storage import (
    content,  # noqa: F401  (registers the publishing tables)
    records,  # noqa: F401  (registers the records-and-privacy tables)
)
from storage.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run() -> None:
    if context.is_offline_mode():
        context.configure(
            url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=url.startswith("sqlite")
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=url.startswith("sqlite")
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
