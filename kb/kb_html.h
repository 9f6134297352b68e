/* kb_html.h — HTML markup in spreadsheet cells, turned into plain text.
 *
 * FAQ pages exported from a web CMS, and FAQs published as open data, carry
 * their answers as HTML fragments (<p>, <br>, <a href>, &nbsp;). The chat
 * shows answers as text, and the index should not see tag names: import
 * converts such cells with libxml2's HTML parser. Text without markup is
 * left exactly as it is ("5<10", "A&B"). */
#ifndef KB_HTML_H
#define KB_HTML_H

#include "../nlp/mdg.h"

/* Whether s holds HTML markup: a known tag (<br>, </p>, <a href=...>) or a
 * character reference (&amp; &nbsp; &#12354;). */
int kb_html_detect(const char *s);

/* Converts the HTML fragment html to plain text in *out (malloc'd, UTF-8):
 * line breaks for <br> and block elements, a blank line after paragraphs,
 * 「・」 before list items, a link's address after its text (「こちら
 * （https://...）」), character references decoded, other whitespace
 * collapsed as a browser does; scripts, styles and comments dropped. */
mdg_rc kb_html_to_text(const char *html, char **out);

#endif
