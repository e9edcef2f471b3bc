"""The interface's strings for Gradio (issue 12 item 7).

Static strings (tab names, labels, buttons, headings) go through Gradio's own
:class:`gradio.I18n` (:data:`I18N`): the browser picks the locale from its language
(``navigator.language``), Gradio's Settings panel (footer link "Settings") switches it,
and Gradio sets the page's ``<html lang>`` to the chosen locale. Strings the server renders
into HTML (source panel headings, "open in document", banners) cannot be translated by
the frontend: the page sends its ``lang`` attribute with each event (see
``ui.app.LANG_JS``) and :func:`ui.strings.t` looks the string up. The table itself is
:data:`ui.strings.STRINGS` (Gradio-free, shared with the CLI).
"""

from __future__ import annotations

import gradio as gr

from ui.strings import LANGUAGES, STRINGS

I18N = gr.I18n(**{lang: {k: v[lang] for k, v in STRINGS.items()} for lang in LANGUAGES})
"""Gradio's translations of :data:`STRINGS`, passed to ``Blocks.launch(i18n=...)``."""
