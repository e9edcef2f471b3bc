"""The interface's strings in English, French and Spanish (issue 12 item 7), for every
view: the Gradio app (through :mod:`ui.i18n`), the CLI's printed answers and the exports.

Gradio-free, so that a cold ``gfmd ask`` can print its labels in the question's language
without importing Gradio. Element kind names come from
:data:`assistant.models.KIND_NAME`, the names the answers use.
"""

from __future__ import annotations

from assistant.models import KIND_NAME

LANGUAGES = ("en", "fr", "es")
"""UI languages; any other browser language falls back to English."""

STRINGS: dict[str, dict[str, str]] = {
    "title": {
        "en": "## GFMD document assistant\nAsk in English, French or Spanish. Every quote is "
        "verbatim from the reports; click a citation [n] to open its passage.",
        "fr": "## Assistant documentaire du FMMD\nPosez vos questions en français, anglais ou "
        "espagnol. Chaque citation est reprise mot pour mot des rapports ; cliquez sur une "
        "référence [n] pour ouvrir son passage.",
        "es": "## Asistente documental del FMMD\nPregunte en español, francés o inglés. Cada "
        "cita es literal de los informes; haga clic en una referencia [n] para abrir su pasaje.",
    },
    "language_switch": {
        "en": "Interface language: [English · Français · Español](?view=settings)",
        "fr": "Langue de l'interface : [English · Français · Español](?view=settings)",
        "es": "Idioma de la interfaz: [English · Français · Español](?view=settings)",
    },
    "tab_ask": {"en": "Ask", "fr": "Questions", "es": "Preguntar"},
    "tab_browse": {"en": "Browse", "fr": "Parcourir", "es": "Explorar"},
    "tab_documents": {"en": "Documents", "fr": "Documents", "es": "Documentos"},
    "conversation": {"en": "Conversation", "fr": "Conversation", "es": "Conversación"},
    "question": {"en": "Your question", "fr": "Votre question", "es": "Su pregunta"},
    "question_placeholder": {
        "en": "e.g. What are the key messages of the Chisinau workshop?",
        "fr": "p. ex. Quels sont les messages essentiels de l'atelier de Chisinau ?",
        "es": "p. ej. ¿Cuáles son los mensajes clave del taller de Chisinau?",
    },
    "ask": {"en": "Ask", "fr": "Demander", "es": "Preguntar"},
    "examples": {
        "en": "Example questions",
        "fr": "Exemples de questions",
        "es": "Preguntas de ejemplo",
    },
    "new_conversation": {
        "en": "New conversation",
        "fr": "Nouvelle conversation",
        "es": "Nueva conversación",
    },
    "export_md": {"en": "Export Markdown", "fr": "Exporter en Markdown", "es": "Exportar Markdown"},
    "export_docx": {"en": "Export DOCX", "fr": "Exporter en DOCX", "es": "Exportar DOCX"},
    "export": {"en": "Export", "fr": "Export", "es": "Exportación"},
    "filters": {"en": "Filters", "fr": "Filtres", "es": "Filtros"},
    "documents": {"en": "Documents", "fr": "Documents", "es": "Documentos"},
    "from_year": {"en": "From year", "fr": "À partir de l'année", "es": "Desde el año"},
    "to_year": {"en": "To year", "fr": "Jusqu'à l'année", "es": "Hasta el año"},
    "year_placeholder": {"en": "any year", "fr": "toutes", "es": "cualquiera"},
    "language": {"en": "Language", "fr": "Langue", "es": "Idioma"},
    "kinds_only": {
        "en": "Element kind (only elements)",
        "fr": "Type d'élément (éléments seulement)",
        "es": "Tipo de elemento (solo elementos)",
    },
    "meeting": {"en": "Meeting", "fr": "Réunion", "es": "Reunión"},
    "meeting_placeholder": {
        "en": "e.g. Chisinau, Roundtable 2.2",
        "fr": "p. ex. Chisinau, Table ronde 2.2",
        "es": "p. ej. Chisinau, Mesa redonda 2.2",
    },
    "clear_filters": {
        "en": "Clear filters",
        "fr": "Effacer les filtres",
        "es": "Quitar los filtros",
    },
    "kind": {"en": "Kind", "fr": "Type", "es": "Tipo"},
    "text": {"en": "Text", "fr": "Texte", "es": "Texto"},
    "text_placeholder": {
        "en": "e.g. diaspora, data",
        "fr": "p. ex. diaspora, données",
        "es": "p. ej. diáspora, datos",
    },
    "document": {"en": "Document", "fr": "Document", "es": "Documento"},
    "remove_document": {
        "en": "Remove document",
        "fr": "Retirer le document",
        "es": "Retirar el documento",
    },
    "add_reports": {"en": "Add reports", "fr": "Ajouter des rapports", "es": "Añadir informes"},
    "upload": {
        "en": "PDF, TXT or MD files",
        "fr": "Fichiers PDF, TXT ou MD",
        "es": "Archivos PDF, TXT o MD",
    },
    "add": {"en": "Add to the corpus", "fr": "Ajouter au corpus", "es": "Añadir al corpus"},
    # ---- rendered by the server (see t())
    "col_title": {"en": "title", "fr": "titre", "es": "título"},
    "col_year": {"en": "year", "fr": "année", "es": "año"},
    "col_meeting": {"en": "meeting", "fr": "réunion", "es": "reunión"},
    "col_type": {"en": "type", "fr": "type", "es": "tipo"},
    "col_language": {"en": "language", "fr": "langue", "es": "idioma"},
    "col_pages": {"en": "pages", "fr": "pages", "es": "páginas"},
    "col_passages": {"en": "passages", "fr": "passages", "es": "pasajes"},
    "col_elements": {"en": "elements", "fr": "éléments", "es": "elementos"},
    "col_id": {"en": "id", "fr": "id", "es": "id"},
    "sources": {"en": "Sources", "fr": "Sources", "es": "Fuentes"},
    "search": {"en": "Search", "fr": "Recherche", "es": "Búsqueda"},
    "retrieved": {
        "en": "Retrieved passages",
        "fr": "Passages trouvés",
        "es": "Pasajes encontrados",
    },
    "closest": {
        "en": "Not found — closest material (not an answer)",
        "fr": "Pas de réponse — passages les plus proches (ce n'est pas une réponse)",
        "es": "Sin respuesta — pasajes más cercanos (no es una respuesta)",
    },
    "no_passages": {"en": "No passages.", "fr": "Aucun passage.", "es": "Ningún pasaje."},
    "no_passages_filters": {
        "en": "No passage matches the filters.",
        "fr": "Aucun passage ne correspond aux filtres.",
        "es": "Ningún pasaje corresponde a los filtros.",
    },
    "sources_empty": {
        "en": "Sources of the answers appear here: each citation [n] opens its passage.",
        "fr": "Les sources des réponses s'affichent ici : chaque référence [n] ouvre son passage.",
        "es": "Las fuentes de las respuestas aparecen aquí: cada referencia [n] abre su pasaje.",
    },
    "older_sources": {
        "en": "Sources of question {n}",
        "fr": "Sources de la question {n}",
        "es": "Fuentes de la pregunta {n}",
    },
    "answering": {
        "en": "Answering: {q}",
        "fr": "Question traitée : {q}",
        "es": "Pregunta respondida: {q}",
    },
    "open_in_document": {
        "en": "open in document",
        "fr": "ouvrir dans le document",
        "es": "abrir en el documento",
    },
    "passage": {"en": "passage", "fr": "passage", "es": "pasaje"},
    "context": {"en": "context", "fr": "contexte", "es": "contexto"},
    "no_locator": {
        "en": "no page numbers in this source",
        "fr": "pas de numéros de page dans cette source",
        "es": "sin números de página en esta fuente",
    },
    "filters_not_found": {
        "en": "The filters ({f}) leave nothing that answers: clear them to search the whole corpus.",
        "fr": "Les filtres ({f}) ne laissent rien qui réponde : effacez-les pour chercher dans tout le corpus.",
        "es": "Los filtros ({f}) no dejan nada que responda: quítelos para buscar en todo el corpus.",
    },
    "items": {"en": "{n} items", "fr": "{n} éléments", "es": "{n} elementos"},
    "browse_count": {
        "en": "{n} elements",
        "fr": "{n} éléments",
        "es": "{n} elementos",
    },
    "no_elements": {
        "en": "No elements match.",
        "fr": "Aucun élément ne correspond.",
        "es": "Ningún elemento coincide.",
    },
    "no_kind": {
        "en": "Tick at least one kind to list elements.",
        "fr": "Cochez au moins un type pour lister les éléments.",
        "es": "Marque al menos un tipo para listar elementos.",
    },
    "choose_document": {
        "en": "Choose a document to read its text.",
        "fr": "Choisissez un document pour lire son texte.",
        "es": "Elija un documento para leer su texto.",
    },
    "corpus_summary": {
        "en": "**The corpus:** {docs} documents ({years}) — {km} key messages, {gq} guiding questions, {rec} recommendations.",
        "fr": "**Le corpus :** {docs} documents ({years}) — {km} messages essentiels, {gq} questions directrices, {rec} recommandations.",
        "es": "**El corpus:** {docs} documentos ({years}) — {km} mensajes clave, {gq} preguntas orientadoras, {rec} recomendaciones.",
    },
    "not_found": {"en": "Not found", "fr": "Pas de réponse", "es": "Sin respuesta"},
    "closest_material": {
        "en": "Closest material (not an answer)",
        "fr": "Passages les plus proches (ce n'est pas une réponse)",
        "es": "Pasajes más cercanos (no es una respuesta)",
    },
    "closest_beside": {
        "en": "Closest material (not an answer) is listed beside the chat.",
        "fr": "Les passages les plus proches (ce n'est pas une réponse) sont listés à côté.",
        "es": "Los pasajes más cercanos (no es una respuesta) se listan al lado.",
    },
    **{
        f"kind_{kind}": {lang: KIND_NAME[lang][kind] for lang in LANGUAGES}
        for kind in KIND_NAME["en"]
    },
}
"""Key -> language -> string. ``{name}`` fields are filled by :func:`t`."""

EXAMPLES: dict[str, list[str]] = {
    "fr": [
        "Quels sont les messages essentiels de l'atelier de Chisinau ?",
        "Quelles questions directrices ont été posées aux tables rondes du sommet de Berlin ?",
        "Quand la première réunion du Forum mondial s'est-elle tenue ?",
    ],
    "en": [
        "What are the key messages of the Marseille workshop?",
        "What do impact evaluations examine?",
        "When was the first meeting of the Global Forum held?",
    ],
    "es": [
        "¿Qué son los perfiles migratorios?",
        "¿Cuáles son los mensajes clave del taller de Chisinau?",
        "¿Cuándo se celebró la primera reunión del Foro Mundial?",
    ],
}
"""Example questions offered under the chat, in the UI language."""


def lang_of(value: str | None) -> str:
    """The UI language of a browser locale ("fr-FR" -> "fr"); English when unknown."""
    code = (value or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else "en"


def t(key: str, lang: str | None = "en", **fields: object) -> str:
    """The string ``key`` in ``lang`` (any locale; unknown -> English), fields filled."""
    text = STRINGS[key][lang_of(lang)]
    return text.format(**fields) if fields else text
