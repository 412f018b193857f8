"""The kernel's hook specifications: the public contract between Comptoir and its modules.

Every hook is called with keyword arguments; an implementation may accept only the arguments
it needs, so a hook can gain arguments later without breaking existing modules.  Hooks marked
*first-result* stop at the first implementation that returns something other than ``None``;
all others are *collected*: every enabled module's answer is gathered into a list.

When two modules implement a first-result hook, the one registered later answers first.
Modules are registered in dependency order (a module after everything it depends on, ties
broken by name), so a module overrides the modules it depends on; ``tryfirst``/``trylast``
on the implementation change that, and ``comptoir modules preview`` shows who wins.

Module authors import the marker from the package root: ``from core import hookimpl``.
"""

import pluggy

hookspec = pluggy.HookspecMarker("comptoir")
hookimpl = pluggy.HookimplMarker("comptoir")


# --- Modules: migrations, lifecycle and demo data ---------------------------------------------


@hookspec
def comptoir_migrations():
    """Return the folder (a ``str`` or ``pathlib.Path``) holding this module's Alembic revisions.

    Called on one module at a time, whether or not it is enabled: when it is previewed, enabled
    or upgraded.  The revisions form the module's own branch, recorded in its own version table
    (``alembic_version_<module>``): its first revision carries ``branch_labels =
    ("<module name>",)`` and ``down_revision = None``, and ``depends_on`` stays ``None``.  A
    module needing another module's tables lists it in its manifest's ``depends``, which makes
    that module migrate first.  Return ``None`` (or do not implement the hook) when the module
    has no tables.  Collected.
    """


@hookspec
def comptoir_module_enabled(module, session):
    """React to a module being enabled; runs inside the enabling transaction.

    ``module`` is the :class:`core.manifest.Manifest` of the module just enabled, ``session`` an
    SQLAlchemy session on the enabling transaction, in which the module's migrations have already
    run.  Called once per module enabled (a module's dependencies first), on the modules enabled
    so far and on the new one.  Raising an exception aborts the whole enable: migrations and
    module state roll back.  Returns nothing.  Collected.
    """


@hookspec
def comptoir_module_disabled(module, session):
    """React to a module being disabled; runs inside the disabling transaction.

    ``module`` is the manifest of the module being disabled; its own implementation is called
    too, before it is unregistered.  A module must not delete data here: disabling keeps every
    row.  Raising aborts the disable.  Returns nothing.  Collected.
    """


@hookspec
def comptoir_demo_data(session, hook):
    """Add this module's demonstration records to ``session`` (do not commit).

    ``hook`` is the hook relay of the enabled modules, for services that call hooks (creating
    and pricing orders).  Called once, kernel first and then each enabled module in dependency
    order, by ``comptoir init --demo`` on a database it creates, so a module can rely on the
    demo data of the modules it depends on.  Returns nothing.  Collected.
    """


# --- Web: pages, navigation, forms ----------------------------------------------------------


@hookspec
def comptoir_blueprints():
    """Return a list of :class:`flask.Blueprint` holding this module's pages.

    Called, on enabled modules only, whenever the application is built for a new set of
    enabled modules (the first request after a module is enabled or disabled, in every worker);
    a disabled module's routes and app-wide request hooks are not in the application at all.
    Give each blueprint a name and a ``url_prefix`` of its own; a name the kernel or another
    module already uses makes enabling the module fail with a message naming it.  Collected.
    """


@hookspec
def comptoir_menu_entries():
    """Return a list of :class:`core.ui.MenuEntry` for the navigation bar.

    Called on every page render, on enabled modules only.  Entries are sorted by their
    ``priority`` and then by title; an entry with a ``role`` is shown only to users holding it.
    Collected.
    """


@hookspec
def comptoir_form_fields(form):
    """Return extra :class:`core.ui.FormField` for the form named ``form``.

    Called when an extensible form is rendered and when it is submitted; ``form`` is the form's
    dotted name: ``"core.user"`` for the admin's user form (creating and editing a user).  The
    submitted values of extra fields reach :func:`comptoir_form_submitted`.  Return an empty
    list for forms the module does not extend.
    Collected.
    """


@hookspec
def comptoir_form_submitted(form, record, values, session):
    """Store the values of the extra fields this module added to ``form``.

    ``record`` is the object the form saved (already flushed, so it has its id), ``values`` a
    ``dict`` of every extra field's submitted value, already validated against the field
    definitions.  Runs in the saving transaction; raising rolls the whole save back.  Returns
    nothing.  Collected.
    """


# --- REST API ---------------------------------------------------------------------------------


@hookspec
def comptoir_api_blueprints():
    """Return a list of :class:`flask_smorest.Blueprint` for the REST API.

    Give each a ``url_prefix`` under ``/api/v1/`` (``/api/v1/<module>``): requests there answer
    JSON and authenticate by bearer token.  Called, on enabled modules only, whenever the
    application is built for a new set of enabled modules; the endpoints then appear in
    ``/api/v1/openapi.json``, and disappear with the module.  Collected.
    """


@hookspec
def comptoir_schema_fields(schema):
    """Return a ``dict`` of extra marshmallow fields for the API schema named ``schema``.

    ``schema`` is a dotted name such as ``"sales.Order"``.  Called when an extensible schema is
    built; the fields are added to the schema's OpenAPI description and to its validation.  The
    kernel's own schemas (users, tokens, modules) are not extensible.  Return an empty dict for
    schemas the module does not extend.  Collected.
    """


# --- Command line -----------------------------------------------------------------------------


@hookspec
def comptoir_cli_commands():
    """Return a list of :class:`click.Command` added to the ``comptoir`` command line.

    Called when the command line looks a command up, on enabled modules only.  Name the
    commands (or one group) after the module: a command whose name the kernel or an earlier
    module (in dependency order) already uses is left out, with a warning naming both.
    Collected.
    """


# --- Order types ------------------------------------------------------------------------------


@hookspec
def comptoir_order_types():
    """Return a list of :class:`core.ordertypes.OrderType` this module contributes.

    Each type has a ``code`` (unique, e.g. ``"sales"``), a ``title`` and its rules: the statuses
    an order of the type may be in, whether delivering it affects stock, whether it recurs, the
    number sequence of its second number (the RMA of a return) and the statuses from which the
    type can no longer change.  Called whenever the list of types is needed (forms, the API's
    enumeration, validation).  Two modules contributing the same code is an error naming both.
    Collected.
    """


# --- Pricing ----------------------------------------------------------------------------------


@hookspec(firstresult=True)
def comptoir_base_prices(lines, context):
    """Return the base price of the lines, as ``{line.key: PriceRule}`` (``core.pricing``).

    ``lines`` holds every :class:`core.pricing.PricingLine` of the document being priced,
    ``context`` its :class:`core.pricing.PricingContext` (currency, date, customer group,
    session).  Called once per document, before the rule kinds.  A line left out has no base
    price.  When no module answers, the items' list prices are the base (priority 0).
    First-result: the module registered last (the most specific) answers.
    """


@hookspec
def comptoir_price_rules(lines, context):
    """Return this module's rule kind's candidates for ``lines``: a list of ``PriceRule``.

    Called once per document with all its lines, after :func:`comptoir_base_prices`; load what
    the rule kind needs for every line in one query (``context.session``), then match in
    memory.  Each candidate names its line (``line.key``), its effect (``"price"``: a unit
    price; ``"discount"``: a percent), its value, its priority, its kind and a description of
    the rule.  The chain keeps, per line and effect, the highest priority (then the lowest price
    or largest discount) and explains why the others lost.  A rule that cannot be evaluated
    must raise, never be skipped silently.  Collected.
    """


# --- Invoice kinds ----------------------------------------------------------------------------


@hookspec
def comptoir_invoice_kinds():
    """Return a list of invoice kinds this module contributes.

    Each kind is a :class:`core.invoicekinds.InvoiceKind`: a ``code`` (unique, e.g.
    ``"customer"``), a ``title``, what its lines hold (items or ledger accounts), how it
    validates (``validate(invoice)``), whether it posts and with which entries
    (``entries(invoice, profile)``, balanced), and the number sequence its posted invoices take
    their gapless numbers from.  Called whenever the list of kinds is needed (forms, the API's
    enumeration, validation, posting).  Two modules contributing the same code is an error
    naming both.  Collected.
    """


# --- Documents ------------------------------------------------------------------------------


@hookspec
def comptoir_document_templates():
    """Return the folder (a ``str`` or ``pathlib.Path``) holding this module's document templates.

    Document templates are the Jinja HTML pages :mod:`core.printing` renders to PDF (a
    quotation, an order confirmation, a packing slip, an invoice); they usually extend the
    kernel's ``document.html`` layout.  A template is looked up by its name in every enabled
    module's folder: a module registered later (one depending on another) overrides the
    same-named templates of the modules before it, and the kernel's own folder
    (``core/document_templates``) comes last.  Called, on enabled modules only, each time a
    document is rendered.  Return ``None`` (or do not implement the hook) when the module has
    no document templates.  Collected.
    """


# --- Business lifecycle events ----------------------------------------------------------------


@hookspec
def comptoir_parties_merged(survivor, duplicate, session):
    """Do what merging party ``duplicate`` into ``survivor`` asks of this module's records
    beyond pointing them at the survivor (join two records that would clash, reword text).

    Called while two parties are merged, inside the merging transaction, both parties' rows
    locked.  Afterwards the kernel points every column referencing the duplicate by a foreign
    key at the survivor, in every module's tables, enabled or not.  Raising rolls the merge
    back.  Returns nothing.  Collected.
    """


@hookspec
def comptoir_order_line_added(order, line, session):
    """React to ``line`` having been added to ``order`` (inside the same transaction).

    Raising rolls the addition back.  Returns nothing.  Collected.
    """


@hookspec
def comptoir_line_suggestions(order, line, session):
    """Return up-sell and cross-sell suggestions for ``line`` just entered on ``order``.

    Called after a line is entered on an order or a quotation.  Each suggestion says whether it
    replaces the line (up-sell) or adds one (cross-sell), the product, and the rule that produced
    it with its priority.  Collected.
    """


@hookspec
def comptoir_order_confirmed(order, session):
    """React to ``order`` having been confirmed (prices are frozen by now).

    Runs inside the confirming transaction; raising rolls the confirmation back.  Returns
    nothing.  Collected.
    """


@hookspec
def comptoir_order_cancelled(order, session):
    """React to ``order`` having been cancelled (nothing of it was delivered or invoiced): let
    go of what still names it, as the invoicing module deletes the draft invoices of its lines.

    Runs inside the cancelling transaction; raising rolls the cancellation back.  Returns a
    sentence telling the user what was done ("Deleted with the order: draft invoice 12."), or
    None.  Collected.
    """


@hookspec
def comptoir_order_delivered(order, packing_slip, session):
    """React to ``packing_slip`` having been posted for ``order``.

    Runs inside the posting transaction; raising rolls it back.  Returns nothing.  Collected.
    """


@hookspec
def comptoir_invoice_posted(invoice, session):
    """React to ``invoice`` having been posted (it has its number and ledger entries).

    Runs inside the posting transaction; raising rolls it back.  Returns nothing.  Collected.
    """


@hookspec
def comptoir_campaign_response(campaign, target, response, session):
    """React to a response recorded for ``target`` of ``campaign``.

    ``response`` is ``"positive"``, ``"negative"`` or ``"no_answer"``.  Runs inside the recording
    transaction.  Returns nothing.  Collected.
    """
