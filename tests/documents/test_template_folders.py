"""The folders document templates are looked up in: a missing one is named, never ignored
silently."""

import logging

import pluggy

from core import hookimpl, hookspecs, printing


def manager_with(**folders):
    """A plugin manager of modules named as the keywords, each returning its folder from
    ``comptoir_document_templates``, registered in the order given."""
    manager = pluggy.PluginManager("comptoir")
    manager.add_hookspecs(hookspecs)
    for name, folder in folders.items():
        plugin = type(name, (), {"comptoir_document_templates": hookimpl(
            staticmethod(lambda folder=folder: folder))})
        manager.register(plugin, name=name)
    return manager


def test_a_missing_folder_is_left_out_with_a_warning_naming_its_module(tmp_path, caplog):
    base = tmp_path / "base_documents"
    base.mkdir()
    gone = tmp_path / "installed_without" / "documents"
    manager = manager_with(base=base, nothing=None, restyle=gone)

    with caplog.at_level(logging.WARNING, logger="core.printing"):
        folders = printing.template_folders(manager.hook)

    assert folders == (("base", base),)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "module restyle" in record.getMessage() and str(gone) in record.getMessage()


def test_existing_folders_come_most_specific_first_without_a_warning(tmp_path, caplog):
    base, restyle = tmp_path / "base", tmp_path / "restyle"
    base.mkdir()
    restyle.mkdir()

    with caplog.at_level(logging.WARNING, logger="core.printing"):
        folders = printing.template_folders(manager_with(base=base, restyle=str(restyle)).hook)

    assert folders == (("restyle", restyle), ("base", base))
    assert not caplog.records
