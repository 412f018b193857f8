"""A small module exercising every kind of kernel hook: tables, pages, API, menu, CLI, demo."""

from pathlib import Path

import click
from flask import Blueprint, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core import hookimpl
from core.db import Base
from core.ui import FormField, MenuEntry
from web.auth import role_required
from web.database import db, registry


class Note(Base):
    __tablename__ = "example_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))


class Nickname(Base):
    """A side table: the example module's extra field on the kernel's user form."""

    __tablename__ = "example_nickname"

    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), primary_key=True)
    nickname: Mapped[str] = mapped_column(String(40))


class NoteSchema(Schema):
    id = fields.Integer(dump_only=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=200))


@hookimpl
def comptoir_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def comptoir_blueprints():
    bp = Blueprint("example", __name__, url_prefix="/example", template_folder="templates")

    @bp.route("/", methods=["GET", "POST"])
    @role_required("sales")
    def notes():
        errors = {}
        if request.method == "POST":
            errors = NoteSchema().validate({"text": request.form.get("text", "")})
            if not errors:
                db().add(Note(text=request.form["text"]))
                db().commit()
                return redirect(url_for("example.notes"))
        page = render_template("example/notes.html", notes=db().scalars(select(Note)).all(),
                               errors=errors)
        return page, 422 if errors else 200

    return [bp]


@hookimpl
def comptoir_api_blueprints():
    blp = ApiBlueprint("example_api", __name__, url_prefix="/api/v1/example",
                       description="Example notes")

    @blp.route("/notes")
    class Notes(MethodView):
        @blp.response(200, NoteSchema(many=True))
        def get(self):
            """Every note."""
            return db().scalars(select(Note)).all()

        @blp.arguments(NoteSchema)
        @blp.response(201, NoteSchema)
        def post(self, data):
            """Add a note."""
            note = Note(**data)
            db().add(note)
            db().commit()
            return note

    return [blp]


@hookimpl
def comptoir_menu_entries():
    return [MenuEntry("Notes", "example.notes", role="sales", priority=50)]


@hookimpl
def comptoir_cli_commands():
    @click.command("example-count")
    def count():
        """Print the number of notes."""
        with registry().session_factory() as session:
            click.echo(session.scalar(select(func.count(Note.id))))

    return [count]


@hookimpl
def comptoir_demo_data(session):
    session.add(Note(text="Demo note"))


@hookimpl
def comptoir_base_prices(lines, context):
    return {line: "example" for line in lines}


@hookimpl
def comptoir_form_fields(form):
    if form != "core.user":
        return []
    return [
        FormField("example_nickname", "Nickname", max_length=40, value=_nickname),
        FormField("example_level", "Level", kind="select", choices=(("1", "One"), ("2", "Two"))),
    ]


def _nickname(user):
    row = db().get(Nickname, user.id)
    return row.nickname if row else None


@hookimpl
def comptoir_form_submitted(form, record, values, session):
    if form == "core.user":
        if values["example_nickname"] == "boom":
            raise ValueError("example refuses this nickname")
        session.merge(Nickname(user_id=record.id, nickname=values["example_nickname"] or ""))
