"""People who log in, their roles, and the API tokens machines use on their behalf."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base

ROLES = ("admin", "sales", "marketing", "accounting")


class User(Base):
    """A person using Comptoir; ``roles`` is a comma-separated subset of ROLES."""

    __tablename__ = "core_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    roles: Mapped[str] = mapped_column(String(128), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    # What Flask-Login asks of a user object.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return str(self.id)

    @property
    def role_set(self):
        """The user's roles as a set."""
        return {role for role in self.roles.split(",") if role}

    def has_role(self, role):
        """True when the user holds ``role``; admins hold every role."""
        return "admin" in self.role_set or role in self.role_set


class ApiToken(Base):
    """A bearer token for API clients; only a SHA-256 digest of the secret is stored."""

    __tablename__ = "core_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    name: Mapped[str] = mapped_column(String(128))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    revoked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    user: Mapped[User] = relationship(lazy="joined")
