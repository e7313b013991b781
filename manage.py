#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    from django.core.management import execute_from_command_line

    from backoffice.environment import exit_on_bad_environment

    with exit_on_bad_environment():
        execute_from_command_line(sys.argv)
