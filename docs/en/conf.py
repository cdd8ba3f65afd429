# Sphinx configuration: the pages are Markdown read by MyST.
project = 'MMRazor'
copyright = '2020-2026, OpenMMLab'
extensions = ['myst_parser']
source_suffix = {'.md': 'markdown'}
master_doc = 'index'
exclude_patterns = ['_build']
html_theme = 'alabaster'
