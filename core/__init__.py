"""The library under every app: the domain error, money, fields, API and admin helpers, the
database router. It imports no app of Kaaj's."""
