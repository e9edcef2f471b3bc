"""Regenerate the ingest test fixtures in this folder (the outputs are committed).

Run from the repository root: ``.venv/bin/python tests/data/make_fixtures.py``.

Fixtures:

- ``two_pages.pdf``: a two-page report with a running header ("GFMD Test Report 2011")
  and footer ("Page N") on both pages, a footnote at the bottom of page 1 whose mark is
  glued to the body ("evidence.1"), a word hyphenated at a line end, a bullet list and
  a paragraph continued across the page break.
- ``encrypted.pdf``: the same, encrypted with the user password ``secret``.
- ``open_encrypted.pdf``: the same, encrypted with an empty user password (opens).
- ``scanned.pdf``: one page with a drawn rectangle and no text layer.
- ``corrupt.pdf``: a PDF header followed by garbage.
- ``empty.txt`` (no bytes) and ``blank.md`` (whitespace only).
- ``unsupported.docx``: any bytes with an extension ingest does not read.
- ``report_short.txt``: a French report as PDF-to-text tools write it (headings, roman
  and numbered lists, a private-use bullet glyph, hyphenation, blank lines inside a
  sentence, a footnote zone after a separator, a running header before a lone page
  number).
- ``report_short.md``: the same kind of content as Markdown.
- ``form_feeds.txt``: three pages separated by form feeds.
- ``cp1252.txt``: text in the Windows-1252 encoding (curly apostrophe, accents).
"""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

HERE = Path(__file__).resolve().parent

PAGE1 = (
    "Policy makers need better data on migration and development. Governments agreed "
    "that migration profiles are useful tools for the develop-\nment of evidence-based "
    "policies, for the development of national plans and for the "
    "coordination between ministries, as the discussions showed in detail and with "
    "evidence.1 Next steps were discussed by all participants."
)
PAGE1_LIST = [
    "data collection must be strengthened;",
    "capacity building remains essential;",
    "regional cooperation should be encouraged.",
]
PAGE1_TAIL = (
    "The workshop also examined how the international community could support the "
    "governments that are starting to prepare national profiles and how the exchange of "
    "experience between the regions could be organised over the coming years, since"
)
PAGE2 = (
    "many countries lack the statistical capacity to do so on their own. Key messages "
    "were agreed at the end of the meeting."
)
FOOTNOTE = "1 The workshop was hosted by the Government of Moldova."


_NEXT = {"new_x": "LMARGIN", "new_y": "NEXT"}


class _Report(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", size=9)
        self.cell(0, 8, "GFMD Test Report 2011", align="C")
        self.ln(12)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=9)
        self.cell(0, 8, f"Page {self.page_no()}", align="C")


def two_pages_pdf() -> bytes:
    pdf = _Report(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=13)
    pdf.multi_cell(0, 8, "Introduction", **_NEXT)
    pdf.ln(2)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, PAGE1, **_NEXT)
    pdf.ln(3)
    for item in PAGE1_LIST:
        pdf.multi_cell(0, 6, "- " + item, **_NEXT)
    pdf.ln(3)
    pdf.multi_cell(0, 6, PAGE1_TAIL, **_NEXT)
    pdf.set_y(-40)
    pdf.line(10, pdf.get_y(), 80, pdf.get_y())
    pdf.ln(2)
    pdf.set_font("Helvetica", size=8)
    pdf.multi_cell(0, 5, FOOTNOTE, **_NEXT)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, PAGE2, **_NEXT)
    pdf.ln(3)
    pdf.set_font("Helvetica", style="B", size=13)
    pdf.multi_cell(0, 8, "Key messages", **_NEXT)
    pdf.ln(2)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "i) Migration profiles should be updated regularly.", **_NEXT)
    pdf.multi_cell(
        0, 6, "ii) Data should be shared between countries of origin and destination.", **_NEXT
    )
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_fill_color(200, 200, 200)
    pdf.rect(20, 20, 170, 250, style="F")
    return bytes(pdf.output())


def encrypted(data: bytes, user_password: str) -> bytes:
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(data)).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


REPORT_SHORT_TXT = """\
 Rapport de l’atelier de test 1

Réunion thématique : Profils migratoires et planification du dévelop-
pement, Genève, Suisse, 3-4 mai 2011 2

Introduction
Les discussions ont porté sur les profils migratoires et sur le développement des
capacités nationales.3 Les participants ont souligné l’importance des données. Le
développement des capacités reste une priorité pour les gouvernements non-étatiques et
les acteurs co-présidents de la réunion.

Les problèmes spécifiques évoqués ont été les suivants :
i) La migration ne figure généralement pas parmi les priorités des stratégies de

développement national.

ii) Une structure institutionnelle est nécessaire pour surveiller le processus.

<SEPARATOR>
1 Ce document est un exemple.
2 La réunion était co-présidée par la Suisse et le Maroc.
3 Voir le rapport complet sur le site Web.
 iii) Les Profils migratoires constituent des outils essentiels.

Messages essentiels de l’atelier de Genève
i) Pour soutenir une approche reposant sur des faits probants et

la question connexe de l’intégration, il faut utiliser tous les outils.

ii) Les gouvernements se trouvent à différents stades.

Traduction

7

Questions directrices


\uf0b7 Quels sont les intérêts des différents acteurs ?

\uf0b7 Comment les équilibrer au niveau national ?

Annexe
Liste des participants.
""".replace("<SEPARATOR>", " " * 49)  # the spaces pdftotext leaves where a footnote rule was

REPORT_SHORT_MD = """\
---

**COMITE DE TEST**

## **LE POINT SUR LE PARTENARIAT**

1. Lors de la première réunion, les *Membres* ont manifesté un intérêt considérable.

Les deux objectifs en question sont :

- 1) favoriser la cohérence politique entre la migration et le développement en
intégrant les questions migratoires; et
- 2) agir au niveau du renforcement des capacités, le but étant de réduire les effets

adverses de l'inadéquation entre les filières.

## 1. Objectifs

Le partenariat poursuit trois objectifs, voir [le site](https://example.org).

### 2. Modalités

- Un comité de surveillance.
- Un secrétariat de taille réduite.
"""

FORM_FEEDS_TXT = (
    "Page one text about migration.\n\f"
    "Page two text about development.\n\f"
    "Page three text about partnerships.\n\f"
)

CP1252_TXT = "L’intégration de la migration à la planification du développement.\n"


def main() -> None:
    pdf = two_pages_pdf()
    (HERE / "two_pages.pdf").write_bytes(pdf)
    (HERE / "encrypted.pdf").write_bytes(encrypted(pdf, "secret"))
    (HERE / "open_encrypted.pdf").write_bytes(encrypted(pdf, ""))
    (HERE / "scanned.pdf").write_bytes(scanned_pdf())
    (HERE / "corrupt.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\nthis is not a PDF body\n")
    (HERE / "empty.txt").write_bytes(b"")
    (HERE / "blank.md").write_bytes(b"  \n\n \t\n")
    (HERE / "unsupported.docx").write_bytes(b"PK\x03\x04 not really a docx")
    (HERE / "report_short.txt").write_text(REPORT_SHORT_TXT, encoding="utf-8")
    (HERE / "report_short.md").write_text(REPORT_SHORT_MD, encoding="utf-8")
    (HERE / "form_feeds.txt").write_text(FORM_FEEDS_TXT, encoding="utf-8")
    (HERE / "cp1252.txt").write_bytes(CP1252_TXT.encode("cp1252"))


if __name__ == "__main__":
    main()
