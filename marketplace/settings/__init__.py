"""Settings: ``base`` holds what every environment shares; ``dev``, ``test`` and
``production`` each add what is theirs. Everything configurable comes from the
environment (see the README's Configuration section)."""
