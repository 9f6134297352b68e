/* test_html.c — HTML cells to plain text (kb_html). */
#include <stdlib.h>

#include "../../kb/kb_html.h"
#include "tap.h"

static void converts(const char *html, const char *want, const char *name)
{
	char *got = NULL;
	mdg_rc rc = kb_html_to_text(html, &got);
	CHECK(rc == MDG_OK, name);
	CHECK_STR(got, want, name);
	free(got);
}

int main(void)
{
	/* Detection: markup, not text that merely has < or &. */
	CHECK(kb_html_detect("納付書で納めてください。<br>窓口でも払えます。"),
	      "<br> is markup");
	CHECK(kb_html_detect("<P>大文字のタグ</P>"), "upper-case tags are markup");
	CHECK(kb_html_detect("<a href=\"https://example.jp/\">こちら</a>"),
	      "<a href> is markup");
	CHECK(kb_html_detect("A&amp;B"), "&amp; is a character reference");
	CHECK(kb_html_detect("&#12354;&#x3042;"), "numeric references are markup");
	CHECK(kb_html_detect("<!-- 担当者メモ -->回答"), "a comment is markup");
	CHECK(!kb_html_detect("5<10 のとき"), "5<10 is text");
	CHECK(!kb_html_detect("A&B 商事、R&D"), "A&B is text");
	CHECK(!kb_html_detect("<重要>必ずお読みください"), "<重要> is text");
	CHECK(!kb_html_detect("<br"), "an unclosed <br is text");
	CHECK(!kb_html_detect("&unknown; と &#;"), "unknown references are text");
	CHECK(!kb_html_detect("1行目\n2行目"), "plain text with newlines is text");

	converts("納付書で納めてください。<br>窓口でも払えます。",
	         "納付書で納めてください。\n窓口でも払えます。", "<br> breaks the line");
	converts("<p>一段落目です。</p><p>二段落目です。</p>",
	         "一段落目です。\n\n二段落目です。",
	         "paragraphs are separated by a blank line");
	converts("<p>\n  必要なもの:\n</p>\n<ul>\n <li>本人確認書類</li>\n "
	         "<li>印鑑</li>\n</ul>",
	         "必要なもの:\n\n・本人確認書類\n・印鑑",
	         "list items start with ・; source "
	         "indentation collapses");
	converts("詳しくは<a "
	         "href=\"https://www.city.example.jp/zei/\">こちら</a>をご覧ください。",
	         "詳しくはこちら（https://www.city.example.jp/zei/）をご覧ください。",
	         "a link keeps its address after its text");
	converts("<a href=\"https://example.jp/\">https://example.jp/</a>",
	         "https://example.jp/",
	         "a link whose text is its address is written once");
	converts("<a href=\"mailto:kikaku@example.jp\"></a>", "kikaku@example.jp",
	         "an empty mail link shows the address");
	converts("<a href=\"javascript:alert(1)\">開く</a>", "開く",
	         "a script link keeps only its text");
	converts("<a href=\"mailto:\"></a><a href=\"\">空</a>", "空",
	         "links without an address add nothing");
	converts("A&amp;B&nbsp;商事 &lt;本店&gt; &#12354;", "A&B 商事 <本店> あ",
	         "character references are decoded");
	converts("1行目\n2行目&amp;", "1行目\n2行目&",
	         "without line markup the cell's own newlines stand");
	converts("<script>alert(1)</script><style>p{}</style>回答<!-- メモ -->です",
	         "回答です", "scripts, styles and comments are dropped");
	converts(
	    "<table><tr><th>区分</th><th>手数料</th></tr><tr><td>新規</td><td>300円</"
	    "td></tr></table>",
	    "区分 手数料\n新規 300円", "table rows become lines, cells are spaced");
	converts("<img src=\"x.png\" alt=\"地図\">を参照", "地図を参照",
	         "an image becomes its alt text");
	converts("<div><br><br><br>間<br><br><br><br>隔</div>", "間\n\n隔",
	         "at most one blank line, none at the ends");
	converts("<font color=red><b>重要</b></font>：期限は<u>5月31日</u>です",
	         "重要：期限は5月31日です", "inline elements keep only their text");
	return tap_done();
}
