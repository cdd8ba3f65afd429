# Sphinx configuration: the pages are Markdown read by MyST.
project = 'MMRazor'
copyright = '2020-2026, OpenMMLab'
extensions = ['myst_parser', 'sphinx.ext.autodoc', 'sphinx.ext.napoleon']
source_suffix = {'.md': 'markdown'}
master_doc = 'index'
exclude_patterns = ['_build']
html_theme = 'alabaster'
autodoc_member_order = 'bysource'
autodoc_mock_imports = []
napoleon_google_docstring = True
