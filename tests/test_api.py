from __future__ import annotations

import subprocess
import sys

import klaviyo_toolkit


def test_importing_the_core_loads_no_ui_library() -> None:
    probe = (
        "import sys, klaviyo_toolkit, klaviyo_toolkit.cli, klaviyo_toolkit.relay;"
        "loaded = {m.split('.')[0] for m in sys.modules};"
        "print(sorted(loaded & {'textual', 'ipywidgets'}))"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


def test_every_public_name_is_exported_and_exists() -> None:
    public = {
        name
        for name, value in vars(klaviyo_toolkit).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith("klaviyo_toolkit")
    }

    assert public <= set(klaviyo_toolkit.__all__)
    assert all(hasattr(klaviyo_toolkit, name) for name in klaviyo_toolkit.__all__)
    assert len(set(klaviyo_toolkit.__all__)) == len(klaviyo_toolkit.__all__)


def test_the_toolkit_offers_the_verbs_of_the_design() -> None:
    verbs = {"ingest", "add_integration", "update_integration", "integrations"}
    verbs |= {"submissions", "preview", "push", "status", "attempts", "reactivate"}
    verbs |= {"set_page_team", "import_pages", "push_async"}

    assert verbs <= set(dir(klaviyo_toolkit.Toolkit))
