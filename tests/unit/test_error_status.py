"""Each domain error answers one HTTP status, chosen in one place (addin/errors.py), by its class or the
nearest base class that has one."""
from addin.errors import STATUS_OF, status_of
from storage.errors import Conflict, DomainError, NotFound
from storage.services.mail import NotTheSameMessage


def test_a_subclass_answers_its_base_class_status():
    assert issubclass(NotTheSameMessage, Conflict)
    assert status_of(NotTheSameMessage("another message with this Message-ID")) == STATUS_OF[Conflict] == 409


def test_each_mapped_class_answers_its_own_status_and_anything_else_422():
    for cls, status in STATUS_OF.items():
        assert status_of(cls("x")) == status
    assert status_of(DomainError("x")) == 422
    assert status_of(NotFound("x")) == 404
