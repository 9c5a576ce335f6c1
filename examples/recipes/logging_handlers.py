"""A logging handler added for an object and never removed: the logger,
which lives as long as the program, keeps the handler and the object."""

import logging

import whyalive


class Session:
    def __init__(self, user):
        self.user = user
        self.records = []
        self.handler = SessionLogHandler(self)
        logging.getLogger("app.db").addHandler(self.handler)

    def close(self):
        pass  # forgets logging.getLogger("app.db").removeHandler(self.handler)


class SessionLogHandler(logging.Handler):
    def __init__(self, session):
        super().__init__()
        self.session = session

    def emit(self, record):
        self.session.records.append(record)


def serve():
    session = Session("alice")
    session.close()


serve()
print(whyalive.explain_instances(Session))
