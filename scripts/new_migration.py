"""Write a new Alembic revision by comparing the models with a store migrated to head.

    python scripts/new_migration.py "add something"
"""

import secrets
import sys
import tempfile
from pathlib import Path

from alembic import command

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fupin_desktop.store import migrate
from fupin_desktop.store.engine import make_engine


def main() -> None:
    message = sys.argv[1] if len(sys.argv) > 1 else "change"
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(Path(tmp) / "scratch.db", secrets.token_bytes(32))
        migrate.upgrade(engine)
        config = migrate.alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message=message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":
    main()
