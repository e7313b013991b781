"""Hooks: how a lower app asks a higher one for something without importing it.

The lower app declares a `Hook` with what it does on its own (the default); the higher app
fills it in its `AppConfig.ready` with `hook.provide(function)`. One provider per hook: a hook
is a question with one answer (an ETA, "who holds these units"), unlike a signal, which
announces an event to any number of listeners (customer messages listen to signals)."""


class Hook:
    def __init__(self, name, default):
        self.name = name
        self._default = default
        self._provided = None

    def provide(self, function):
        self._provided = function
        return function

    def __call__(self, *args, **kwargs):
        return (self._provided or self._default)(*args, **kwargs)

    def __repr__(self):
        return f"<Hook {self.name}>"
