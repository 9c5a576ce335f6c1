"""A context variable set at the top level: the thread's context keeps the
value until the variable is reset or the thread ends."""

import contextvars

import whyalive

current_user = contextvars.ContextVar("current_user")


class User:
    def __init__(self, name):
        self.name = name


def login(name):
    current_user.set(User(name))  # no token kept, so never reset


login("alice")
print(whyalive.explain_instances(User))
