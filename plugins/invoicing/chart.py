"""Setting up the ledger: the chart of accounts and the posting profiles.

An account's kind says where it may serve: a receivable account holds customer balances (a
posting profile's summary account), a revenue or other account takes invoice lines, a tax
account the tax, a bank account payments.  Once anything names an account (an entry, a
profile, an invoice line, a payment) its kind is fixed and it cannot be deleted: entries
already written would otherwise change meaning.  Codes never change; names do.

A posting profile says where an invoice posts.  Exactly one is the default, given to invoices
that name none; its summary account also takes the rest of payments not applied yet.  Its
accounts are fixed once an invoice names it: what those invoices are owed stands on its summary
account until paid, and their credit notes reverse the revenue and tax where they were
written.  To post elsewhere from now on, make a new profile the default.

Every function works inside the caller's transaction (the caller commits).  Changes lock the
rows they check (on PostgreSQL), so that two at once cannot both pass: two defaults, an account
deleted as a profile takes it.
"""

from sqlalchemy import exists, or_, select, update

from core.errors import Conflict, NotFound, ValidationError
from plugins.invoicing.invoices import LINE_ACCOUNT_KINDS
from plugins.invoicing.models import (
    Account,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Payment,
    PostingProfile,
)
from plugins.sales.records import create_coded, list_coded

# The kinds of account each of a posting profile's roles takes.
PROFILE_ACCOUNTS = {
    "summary_account": ("receivable",),
    "revenue_account": LINE_ACCOUNT_KINDS,
    "tax_account": ("tax",),
}


def list_accounts(session):
    """Every ledger account, by code."""
    return list_coded(session, Account)


def account_in_use(session, account):
    """Whether anything names ``account``: a ledger entry, a posting profile, an invoice line
    or a payment (its bank, or the summary account its rest was credited to)."""
    profile = PostingProfile
    return session.scalar(select(or_(
        exists().where(LedgerEntry.account_id == account.id),
        exists().where(or_(profile.summary_account_id == account.id,
                           profile.revenue_account_id == account.id,
                           profile.tax_account_id == account.id)),
        exists().where(InvoiceLine.account_id == account.id),
        exists().where(or_(Payment.account_id == account.id,
                           Payment.summary_account_id == account.id)),
    )))


def create_account(session, data):
    """Add a ledger account from validated ``data`` (``code``, ``name``, ``kind``); its code
    must be new (422 on ``code``)."""
    return create_coded(session, Account, data)


def update_account(session, account, data):
    """Rename ``account`` (from ``ledger.get_account(..., lock=True)``) or change its kind
    (validated ``data``: ``name``, ``kind``).

    A kind is refused (409) once anything names the account."""
    if data.get("kind", account.kind) != account.kind and account_in_use(session, account):
        raise Conflict(f"account {account.code} is in use: its kind stays {account.kind}")
    for field in ("name", "kind"):
        if field in data:
            setattr(account, field, data[field])
    session.flush()
    return account


def delete_account(session, account):
    """Delete ``account`` (from ``ledger.get_account(..., lock=True)``); refused (409) once
    anything names it."""
    if account_in_use(session, account):
        raise Conflict(f"account {account.code} is in use and cannot be deleted")
    session.delete(account)
    session.flush()


def list_profiles(session):
    """Every posting profile, by code."""
    return list_coded(session, PostingProfile)


def get_profile(session, code):
    """The posting profile ``code``, or NotFound."""
    profile = session.scalars(select(PostingProfile).where(PostingProfile.code == code)
                              ).one_or_none()
    if profile is None:
        raise NotFound(f"there is no posting profile {code}")
    return profile


def lock_profiles(session):
    """Take the row locks of every posting profile, re-reading them: what one change checks
    (which is the default, which accounts) then holds until it commits."""
    session.scalars(select(PostingProfile).with_for_update(of=PostingProfile)
                    .execution_options(populate_existing=True)).all()


def profile_in_use(session, profile):
    """Whether an invoice names the posting ``profile``."""
    return session.scalar(select(exists().where(Invoice.posting_profile_id == profile.id)))


def create_profile(session, data):
    """Add a posting profile from validated ``data``: ``code`` (new), ``name``, the codes of its
    ``summary_account`` (receivable), ``revenue_account`` (revenue or other) and
    ``tax_account`` (tax), and ``is_default``: the default profile then becomes this one."""
    lock_profiles(session)
    accounts = _profile_accounts(session, data)
    profile = create_coded(session, PostingProfile, {
        "code": data["code"], "name": data["name"], "is_default": False, **accounts})
    if data.get("is_default"):
        _make_default(session, profile)
    return profile


def update_profile(session, profile, data):
    """Change a posting profile (validated ``data``, every field but ``code`` optional): its
    name, its accounts (while no invoice names it), or make it the default.

    The default cannot stop being it (422 on ``is_default``): make another the default.  The
    accounts cannot change (409) once an invoice names the profile."""
    lock_profiles(session)
    if data.get("is_default") is False and profile.is_default:
        raise ValidationError("a posting profile must be the default", fields={
            "is_default": ["Invoices naming no profile need a default: make another profile "
                           "the default instead."]})
    accounts = _profile_accounts(session, data)
    if (any(account != getattr(profile, field) for field, account in accounts.items())
            and profile_in_use(session, profile)):
        raise Conflict(f"invoices name posting profile {profile.code}: its accounts stay as "
                       "those invoices were posted; make a new profile the default to post "
                       "elsewhere")
    for field, account in accounts.items():
        setattr(profile, field, account)
    if "name" in data:
        profile.name = data["name"]
    if data.get("is_default"):
        _make_default(session, profile)
    session.flush()
    return profile


def delete_profile(session, profile):
    """Delete a posting profile; refused (409) for the default and once an invoice names it."""
    lock_profiles(session)
    if profile.is_default:
        raise Conflict(f"posting profile {profile.code} is the default: make another the "
                       "default first")
    if profile_in_use(session, profile):
        raise Conflict(f"posting profile {profile.code} is named by invoices and cannot be "
                       "deleted")
    session.delete(profile)
    session.flush()


def _make_default(session, profile):
    session.execute(update(PostingProfile).where(PostingProfile.id != profile.id)
                    .values(is_default=False))
    profile.is_default = True
    session.flush()


def _profile_accounts(session, data):
    """``{relationship: Account}`` for the account codes ``data`` gives; every unknown code or
    account of the wrong kind is refused at once, on its field."""
    given = {field: data[field] for field in PROFILE_ACCOUNTS if field in data}
    found = {account.code: account for account in session.scalars(
        select(Account).where(Account.code.in_(set(given.values())))
        .with_for_update(read=True))} if given else {}
    accounts, errors = {}, {}
    for field, code in given.items():
        account, kinds = found.get(code), PROFILE_ACCOUNTS[field]
        if account is None:
            errors[field] = [f"Unknown ledger account {code}."]
        elif account.kind not in kinds:
            errors[field] = [f"Account {code} is a {account.kind} account: this takes a "
                             f"{' or '.join(kinds)} account."]
        else:
            accounts[field] = account
    if errors:
        raise ValidationError("the posting profile's accounts are not right", fields=errors)
    return accounts
