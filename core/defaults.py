"""The kernel's own hook implementations: demo users for a new database.

Registered before every module and marked ``trylast``, so any module can take over.
"""

from sqlalchemy import select

from core.hookspecs import hookimpl
from core.models import User
from core.users import create_user

DEMO_USERS = [
    ("admin", "Ada Admin", ("admin",)),
    ("sales", "Sam Sales", ("sales",)),
    ("marketing", "Mia Marketing", ("marketing",)),
    ("accounting", "Alex Accounting", ("accounting",)),
]


@hookimpl(trylast=True)
def comptoir_demo_data(session):
    """One user per role; each password is the login repeated (``admin`` / ``adminadmin``)."""
    for login, name, roles in DEMO_USERS:
        if session.scalar(select(User.id).where(User.login == login)) is None:
            create_user(session, login, name, login * 2, roles)

