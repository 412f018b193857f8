"""URL rules of the application builds."""

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    """A werkzeug Rule that compiles its URL builders (used by ``url_for``) when first used.

    Werkzeug generates and compiles two builder functions for every rule as it is added to the
    URL map: a large part of the time spent building an application, which has some 170 rules
    of which a request builds few URLs.  Each builder here compiles the real one on its first
    call and puts it in its place; matching requests is unchanged.  ``_compile_builder`` is
    werkzeug's own (private) method (as of werkzeug 3.1): should it change, the builders
    are compiled eagerly again, or tests/test_builds.py says what broke.
    """

    def _compile_builder(self, append_unknown=True):
        compile_builder = super()._compile_builder
        attribute = "_build_unknown" if append_unknown else "_build"

        def build_on_first_use(rule, /, **values):  # a URL may have a variable "rule"
            builder = compile_builder(append_unknown).__get__(rule, None)
            setattr(rule, attribute, builder)
            return builder(**values)

        return build_on_first_use
