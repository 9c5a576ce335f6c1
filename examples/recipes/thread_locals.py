"""A thread-local that outlives the request: the thread's own dict of
thread-local attributes keeps the last request of every thread alive."""

import threading

import whyalive

_state = threading.local()


class Request:
    def __init__(self, path):
        self.path = path


def handle(path):
    _state.request = Request(path)  # set for the request, never cleared
    ...


handle("/checkout")
print(whyalive.explain_instances(Request))
