"""Kaaj's authentication backend: allauth's (signing in by e-mail address, its timing-attack
mitigation), with the signed-in user read by one fixed statement.

Every request of a signed-in user loads the user from their session (Django's
``AuthenticationMiddleware``). ``ModelBackend.get_user`` builds and compiles the same ORM
query each time, which cost more than the database's work: about a quarter of what a request
with nothing else to do costs (bench/pages.py). Here the statement is written once, from the
model's own columns, and the row becomes a ``User`` as the ORM would make it
(``Model.from_db``).
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.db import connections, router

from .models import User

_FIELDS = User._meta.concrete_fields
_NAMES = [field.attname for field in _FIELDS]
_COLUMNS = ", ".join(f'"{field.column}"' for field in _FIELDS)
_SQL = f'SELECT {_COLUMNS} FROM "{User._meta.db_table}" WHERE "{User._meta.pk.column}" = %s'  # noqa: S608  (the model's own names)
# Values the database adapter does not give in the model's type (none today).
_CONVERTERS = [
    (index, field.from_db_value)
    for index, field in enumerate(_FIELDS)
    if hasattr(field, "from_db_value")
]


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id) -> User | None:
        """The session's user, or None when there is none or they may not sign in (as
        ``ModelBackend``: an inactive user is signed out)."""
        database = router.db_for_read(User)
        connection = connections[database]
        with connection.cursor() as cursor:
            cursor.execute(_SQL, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        if _CONVERTERS:
            row = list(row)
            for index, convert in _CONVERTERS:
                row[index] = convert(row[index], None, connection)
        user = User.from_db(database, _NAMES, row)
        return user if self.user_can_authenticate(user) else None
