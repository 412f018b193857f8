"""Documents rendered to PDF from HTML templates that modules contribute and override.

A module offers document templates through the ``comptoir_document_templates`` hook (a folder).
A template name is looked up in the folders of the enabled modules, the module registered last
first (so a module overrides the templates of the modules it depends on), then in the kernel's
``core/document_templates``, whose ``document.html`` is the layout every document extends.

What a template receives:

- ``company``: the :class:`Company` issuing the document (name and address lines);
- ``document``: the record printed (an order, a quotation...), whose ``number``, ``party``,
  ``currency``, ``lines`` (``item``, ``description``, ``quantity``, ``unit_price``,
  ``discount``, ``tax_rate``, ``amount``) and ``untaxed``/``tax``/``total`` the layout shows;
- whatever else the caller passes.

The filters of the web pages are there too: ``money(currency)``, ``unit_price(currency)`` and
``plain``.  Rendering never fetches anything from the network or the disk: only ``data:`` URLs
(inline images, fonts) are allowed in a document.
"""

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import jinja2

from core import outbox
from core.formatting import money, plain_number, unit_price
from core.parties import billing_details, delivery_details

logger = logging.getLogger(__name__)

KERNEL_TEMPLATES = Path(__file__).parent / "document_templates"

DEFAULT_COMPANY_NAME = "Comptoir"
DEFAULT_COMPANY_ADDRESS = ""


@dataclass(frozen=True)
class Company:
    """Who issues the documents: shown in their header and footer."""

    name: str = DEFAULT_COMPANY_NAME
    address: str = DEFAULT_COMPANY_ADDRESS  # lines separated by newlines

    @property
    def address_lines(self):
        """The address, one line per item, blank lines left out."""
        return [line.strip() for line in self.address.splitlines() if line.strip()]

    @classmethod
    def from_config(cls, config):
        """The company named by ``COMPTOIR_COMPANY_NAME`` / ``COMPTOIR_COMPANY_ADDRESS``."""
        return cls(name=config.get("COMPTOIR_COMPANY_NAME") or DEFAULT_COMPANY_NAME,
                   address=config.get("COMPTOIR_COMPANY_ADDRESS") or DEFAULT_COMPANY_ADDRESS)


@functools.cache  # once per process, not at every document printed
def _warn_missing(module, folder):
    logger.warning("the document templates of module %s are ignored: %s is not a folder",
                   module, folder)


def template_folders(hook):
    """``(module name, folder)`` of every module's document templates, the one that wins first;
    the kernel's (:data:`KERNEL_TEMPLATES`) come after them all.

    A folder a module returns that does not exist is left out with a warning naming the
    module: its templates would otherwise be ignored without a word (a package installed
    without its ``documents/`` folder).
    """
    offered = []
    # Pluggy calls the implementation registered last first: the most specific module.
    for module in reversed(hook.comptoir_document_templates.get_hookimpls()):
        folder = module.function()
        if not folder:
            continue
        if not Path(folder).is_dir():
            _warn_missing(module.plugin_name, str(folder))
            continue
        offered.append((module.plugin_name, Path(folder)))
    return tuple(offered)


@functools.lru_cache(maxsize=16)
def _environment(module_folders):
    """Templates looked up by name in ``module_folders`` in turn, then the kernel's; and by
    ``"module:name"`` in that module's folder alone, which an override extends."""
    by_module = {module: jinja2.FileSystemLoader(str(folder))
                 for module, folder in module_folders}
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            *by_module.values(), jinja2.FileSystemLoader(str(KERNEL_TEMPLATES)),
            jinja2.PrefixLoader(by_module, delimiter=":")]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(money=money, unit_price=unit_price, plain=plain_number,
                               billed_to=billed_to, delivered_to=delivered_to)
    return environment


def billed_to(document):
    """Whom ``document`` is addressed to, as it prints it (see
    :func:`core.parties.billing_details`): what the document kept when it was issued (a posted
    invoice's ``billed_to``), else its party as it is now."""
    return getattr(document, "billed_to", None) or billing_details(document.party)


def delivered_to(document):
    """Whom ``document`` (a packing slip) delivers to or receives from, as it prints it (see
    :func:`core.parties.delivery_details`): what it kept when it was posted
    (``delivered_to``), else its party as it is now."""
    return getattr(document, "delivered_to", None) or delivery_details(document.party)


def render_html(hook, template_name, company=None, **context):
    """Render the document template ``template_name`` to HTML (a ``str``); given a list of
    names, the first one found.

    ``hook`` is the hook relay of the enabled modules, ``company`` a :class:`Company` (default:
    :meth:`Company.from_config` of an empty configuration), ``context`` the template's variables.
    """
    template = _environment(template_folders(hook)).get_or_select_template(template_name)
    return template.render(company=company or Company(), **context)


def render_pdf(hook, template_name, company=None, **context):
    """Render the document template ``template_name`` to a PDF (``bytes``); see render_html."""
    import weasyprint  # loads its system libraries: only when a document is printed

    html = render_html(hook, template_name, company=company, **context)
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()


def send_document(session, hook, template_name, *, to, subject, body, filename, company=None,
                  **context):
    """Render ``template_name`` to PDF and queue an e-mail to ``to`` with it attached.

    The message joins the outbox in the caller's transaction (see :mod:`core.outbox`): it is
    sent once the caller commits and the outbox is run.  Returns the
    :class:`core.models.OutboxMessage`.
    """
    pdf = render_pdf(hook, template_name, company=company, **context)
    return outbox.queue_message(session, to, subject, body, attachment=pdf,
                                attachment_name=filename)
