"""App-wide blueprint hooks and a nested blueprint: none of it may run while disabled."""

from flask import Blueprint

from core import hookimpl


@hookimpl
def comptoir_blueprints():
    parent = Blueprint("leaky", __name__, url_prefix="/leaky")
    child = Blueprint("child", __name__, url_prefix="/child")

    @parent.route("/")
    def index():
        return "leaky parent"

    @child.route("/")
    def nested():
        return "leaky child"

    @parent.after_app_request
    def mark(response):
        response.headers["X-Leaky"] = "ran"
        return response

    parent.register_blueprint(child)
    return [parent]
