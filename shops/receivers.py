"""How shops listen to the apps below (connected in apps.py)."""


def connect():
    pass
