/* test_flow.c — decision trees: parsing, every validation error with its
 * message and line, the engine (choices, typed answers, back/restart/quit,
 * handoff summaries, stale positions), triggers, red flags with negation,
 * storage with versioning and the per-connection cache, and the sample
 * content walked to every leaf by following only the offered options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../kb/flow.h"
#include "../../kb/flow_store.h"
#include "../../kb/kb_import.h"
#include "../../kb/redflag.h"
#include "tap.h"

#ifndef MDG_DATADIR
#define MDG_DATADIR "."
#endif

static nlp_tagger *tagger;

/* ---------- helpers ---------- */

static flow_set *parse(const char *yaml, flow_report **rep_out)
{
	flow_source src = {"test.yaml", yaml, strlen(yaml), 0};
	flow_set *s = NULL;
	flow_report *rep = NULL;
	char *err = NULL;
	mdg_rc rc = flow_set_parse(&src, 1, tagger, &s, &rep, &err);
	if (rc != MDG_OK && rc != MDG_ERR_VALIDATION)
		printf("# parse: %s\n", err ? err : mdg_strerror(rc));
	free(err);
	if (rep_out)
		*rep_out = rep;
	else
		flow_report_free(rep);
	return s;
}

/* 1 if a formatted problem contains every needle (NULL-terminated). */
static int has(const flow_report *r, const char *a, const char *b, const char *c)
{
	for (size_t i = 0; r && i < r->nproblems; i++) {
		char *line = flow_problem_format(&r->problems[i]);
		int ok = line && strstr(line, a) && (!b || strstr(line, b)) &&
		         (!c || strstr(line, c));
		free(line);
		if (ok)
			return 1;
	}
	return 0;
}

static void dump(const flow_report *r)
{
	for (size_t i = 0; r && i < r->nproblems; i++) {
		char *line = flow_problem_format(&r->problems[i]);
		printf("#   %s\n", line);
		free(line);
	}
}

static flow_reply *step(const flow_set *s, const char *pos, const char *choice,
                        const char *text, mdg_rc *rc_out)
{
	flow_input in = {choice, text, text ? strlen(text) : 0};
	flow_reply *r = NULL;
	char *err = NULL;
	mdg_rc rc = flow_step_input(s, tagger, pos, &in, &r, &err);
	if (rc_out)
		*rc_out = rc;
	free(err);
	return r;
}

static int has_option(const flow_reply *r, const char *id)
{
	for (size_t i = 0; r && i < r->noptions; i++)
		if (strcmp(r->options[i].id, id) == 0)
			return 1;
	return 0;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[len] = '\0';
	fclose(f);
	*n = (size_t)len;
	return buf;
}

/* ---------- a small valid set ---------- */

static const char nanbyo[] =
    "flows:\n"
    "  - id: nanbyo\n"
    "    title: 指定難病の申請書類\n"
    "    triggers: [指定難病の申請書類]\n"
    "    nodes:\n"
    "      - id: shurui\n"
    "        text: 新規ですか、継続ですか\n"
    "        summary: 申請の種類\n"
    "        options:\n"
    "          - {id: shinki, label: 新規, synonyms: [初めて], next: shinki}\n"
    "          - {id: keizoku, label: 継続, synonyms: [更新], next: keizoku}\n"
    "      - id: shinki\n"
    "        answer: {title: 新規申請, text: 新規申請の書類です。}\n"
    "      - id: keizoku\n"
    "        answer:\n"
    "          title: 継続申請\n"
    "          text: 継続申請の書類です。\n"
    "          links: [{label: 様式, url: 'https://www.pref.aoba.example/f'}]\n"
    "          contact: 疾病対策課\n";

static const char triage[] =
    "handoff:\n"
    "  label: 相談員と話す（#7119）\n"
    "  synonyms: [相談員]\n"
    "  text: 相談員につなぎます。\n"
    "  phones: [{label: 救急安心センター, number: '#7119'}]\n"
    "care_info:\n"
    "  text: 医療機関は医療情報ネットで探せます。\n"
    "  links: [{label: 医療情報ネット, url: 'https://www.pref.aoba.example/net'}]\n"
    "flows:\n"
    "  - id: menu\n"
    "    title: 救急相談\n"
    "    handoff: true\n"
    "    nodes:\n"
    "      - id: shojo\n"
    "        text: 症状を選んでください\n"
    "        options:\n"
    "          - {id: netsu, label: 発熱, synonyms: [熱がある], flow: fever}\n"
    "  - id: fever\n"
    "    title: 発熱\n"
    "    handoff: true\n"
    "    nodes:\n"
    "      - id: age\n"
    "        text: 年齢は？\n"
    "        summary: 年齢\n"
    "        options:\n"
    "          - {id: baby, label: 3か月未満, next: l2}\n"
    "          - {id: adult, label: 16歳以上, next: temp}\n"
    "      - id: temp\n"
    "        text: 体温は？\n"
    "        summary: 体温\n"
    "        options:\n"
    "          - {id: high, label: 39度以上, next: l3}\n"
    "          - {id: low, label: 39度未満, next: l5}\n"
    "          - {id: again, label: もう一度, next: age}\n"
    "      - id: l2\n"
    "        triage: {level: 2, text: すぐ受診}\n"
    "      - id: l3\n"
    "        triage: {level: 3}\n"
    "      - id: l5\n"
    "        triage: {level: 5, text: 様子を見ましょう, advice: 水分をとってください}\n";

/* ---------- validation ---------- */

static void validation_tests(void)
{
	flow_report *rep = NULL;
	flow_set *s = parse(nanbyo, &rep);
	CHECK(s != NULL && rep && rep->nproblems == 0, "valid file parses");
	CHECK(rep && rep->nflows == 1 && rep->nnodes == 3 && rep->nleaves == 2,
	      "counts flows, nodes and leaves");
	flow_set_release(s);
	flow_report_free(rep);

	s = parse(triage, &rep);
	CHECK(s != NULL, "triage set with handoff/care_info and a cycle with an exit");
	dump(rep);
	flow_set_release(s);
	flow_report_free(rep);

	/* Each error from the issue, with file, line and node named. */
	static const struct {
		const char *name, *yaml, *a, *b, *c;
	} cases[] = {
	    {"unknown next",
	     "flows:\n  - id: f\n    title: t\n    nodes:\n"
	     "      - id: q\n        text: q?\n        options:\n"
	     "          - {id: a, label: A, next: nowhere}\n",
	     "test.yaml:8:", "node 'q'", "unknown next 'nowhere'"},
	    {"unreachable node",
	     "flows:\n  - id: f\n    title: t\n    nodes:\n"
	     "      - id: q\n        text: q?\n        options:\n"
	     "          - {id: a, label: A, next: end}\n"
	     "      - id: end\n        answer: {text: done}\n"
	     "      - id: orphan\n        answer: {text: never}\n",
	     "test.yaml:11:", "node 'orphan'", "unreachable node"},
	    {"cycle without an exit",
	     "flows:\n  - id: f\n    title: t\n    nodes:\n"
	     "      - id: a\n        text: a?\n        options:\n"
	     "          - {id: x, label: X, next: b}\n"
	     "          - {id: y, label: Y, next: leaf}\n"
	     "      - id: leaf\n        answer: {text: ok}\n"
	     "      - id: b\n        text: b?\n        options:\n"
	     "          - {id: x, label: X, next: c}\n"
	     "      - id: c\n        text: c?\n        options:\n"
	     "          - {id: x, label: X, next: b}\n",
	     "test.yaml:12:", "node 'b'", "cycle without an exit"},
	    {"option ids not unique",
	     "flows:\n  - id: f\n    title: t\n    nodes:\n"
	     "      - id: q\n        text: q?\n        options:\n"
	     "          - {id: a, label: A, next: e}\n"
	     "          - {id: a, label: B, next: e}\n"
	     "      - id: e\n        answer: {text: ok}\n",
	     "test.yaml:9:", "node 'q'", "option ids not unique"},
	    {"triage leaf without a level",
	     "care_info: {text: 医療機関を探す}\n"
	     "flows:\n  - id: f\n    title: t\n    nodes:\n"
	     "      - id: q\n        text: q?\n        options:\n"
	     "          - {id: a, label: A, next: t}\n"
	     "      - id: t\n        triage: {text: no level here}\n",
	     "test.yaml:11:", "node 't'", "triage leaf without a level"},
	    {"text over caps", NULL /* built below */, "test.yaml:8:", "node 'q'",
	     "over the cap of 40"},
	    {"level out of range",
	     "care_info: {text: x}\n"
	     "flows:\n  - id: f\n    title: t\n    nodes:\n"
	     "      - id: t\n        triage: {level: 7}\n",
	     "test.yaml:7:", "node 't'", "from 1 to 5"},
	    {"level 4 needs advice",
	     "care_info: {text: x}\n"
	     "flows:\n  - id: f\n    title: t\n    nodes:\n"
	     "      - id: t\n        triage: {level: 4}\n",
	     "test.yaml:7:", "node 't'", "needs 'advice'"},
	    {"triage needs care_info",
	     "flows:\n  - id: f\n    title: t\n    nodes:\n"
	     "      - id: t\n        triage: {level: 1}\n",
	     "test.yaml:5:", "node 't'", "care_info"},
	    {"handoff needs a handoff block",
	     "flows:\n  - id: f\n    title: t\n    handoff: true\n    nodes:\n"
	     "      - id: e\n        answer: {text: ok}\n",
	     "test.yaml:2:", "flow 'f'", "handoff"},
	    {"unknown key",
	     "flows:\n  - id: f\n    title: t\n    nodes:\n"
	     "      - id: e\n        answr: {text: ok}\n",
	     "test.yaml:6:", "unknown key 'answr'", NULL},
	    {"YAML syntax error", "flows:\n  - id: f\n    title: [unclosed\n",
	     "test.yaml:", "YAML syntax error", NULL},
	    {"aliases rejected",
	     "flows:\n  - &a {id: f, title: t, nodes: [{id: e, answer: {text: x}}]}\n"
	     "  - *a\n",
	     "test.yaml:3:", "aliases", NULL},
	    {"duplicate flow id",
	     "flows:\n  - {id: f, title: t, nodes: [{id: e, answer: {text: x}}]}\n"
	     "  - {id: f, title: u, nodes: [{id: e, answer: {text: y}}]}\n",
	     "test.yaml:3:", "flow 'f'", "already used"},
	    {"unknown jump target",
	     "flows:\n  - id: f\n    title: t\n    nodes:\n"
	     "      - id: q\n        text: q?\n        options:\n"
	     "          - {id: a, label: A, flow: nope}\n",
	     "test.yaml:8:", "unknown flow 'nope'", NULL},
	    {"reserved option id",
	     "flows:\n  - id: f\n    title: t\n    nodes:\n"
	     "      - id: q\n        text: q?\n        options:\n"
	     "          - {id: back, label: A, next: e}\n"
	     "      - id: e\n        answer: {text: ok}\n",
	     "test.yaml:8:", "reserved", NULL},
	    {"bad id",
	     "flows:\n  - {id: Bad Id, title: t, nodes: [{id: e, answer: {text: x}}]}\n",
	     "test.yaml:2:", "'id' must be", NULL},
	    {"non-http link",
	     "flows:\n  - id: f\n    title: t\n    nodes:\n"
	     "      - id: e\n        answer: {text: x, links: [{label: L, url: "
	     "'javascript:alert(1)'}]}\n",
	     "test.yaml:6:", "https://", NULL},
	    {"leaf and options together",
	     "flows:\n  - id: f\n    title: t\n    nodes:\n"
	     "      - id: e\n        answer: {text: x}\n        options: []\n",
	     "test.yaml:5:", "exactly one", NULL},
	    {"empty file", "", "test.yaml:0:", "empty", NULL},
	    {"invalid UTF-8", "flows: \xff\n", "test.yaml:0:", "UTF-8", NULL},
	};
	char big[512];
	{
		char label[200] = "";
		for (int i = 0; i < 41; i++)
			strcat(label, "あ");
		snprintf(big, sizeof big,
		         "flows:\n  - id: f\n    title: t\n    nodes:\n"
		         "      - id: q\n        text: q?\n        options:\n"
		         "          - {id: a, label: %s, next: e}\n"
		         "      - id: e\n        answer: {text: ok}\n",
		         label);
	}
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *y = cases[i].yaml ? cases[i].yaml : big;
		rep = NULL;
		s = parse(y, &rep);
		int ok = s == NULL && rep && has(rep, cases[i].a, cases[i].b, cases[i].c);
		char name[128];
		snprintf(name, sizeof name, "rejected with message: %s", cases[i].name);
		CHECK(ok, name);
		if (!ok)
			dump(rep);
		flow_set_release(s);
		flow_report_free(rep);
	}
	/* Every problem of a file is listed, not just the first. */
	const char multi[] = "flows:\n  - id: f\n    title: t\n    nodes:\n"
	                     "      - id: q\n        text: q?\n        options:\n"
	                     "          - {id: a, label: A, next: x1}\n"
	                     "          - {id: a, label: B, next: x2}\n"
	                     "      - id: t\n        triage: {text: x}\n";
	s = parse(multi, &rep);
	CHECK(s == NULL && rep && rep->nproblems >= 4 &&
	          has(rep, "unknown next 'x1'", NULL, NULL) &&
	          has(rep, "unknown next 'x2'", NULL, NULL) &&
	          has(rep, "not unique", NULL, NULL) &&
	          has(rep, "without a level", NULL, NULL),
	      "every problem listed in one run");
	flow_report_free(rep);

	/* Two files: ids unique across files, blocks shared. */
	flow_source two[] = {{"a.yaml", nanbyo, strlen(nanbyo), 0},
	                     {"b.yaml", nanbyo, strlen(nanbyo), 0}};
	char *err = NULL;
	rep = NULL;
	s = NULL;
	flow_set_parse(two, 2, tagger, &s, &rep, &err);
	CHECK(s == NULL && has(rep, "b.yaml:2:", "already used at a.yaml:2", NULL),
	      "duplicate flow ids across files name both files");
	flow_report_free(rep);
	free(err);
}

/* ---------- engine ---------- */

static void engine_tests(void)
{
	flow_set *s = parse(nanbyo, NULL);
	if (s == NULL) {
		CHECK(0, "engine set parses");
		return;
	}
	char *err = NULL;
	flow_reply *r = NULL;
	CHECK(flow_start(s, "nanbyo", &r, &err) == MDG_OK &&
	          r->type == FLOW_REPLY_QUESTION,
	      "start gives a question");
	CHECK(r && strcmp(r->text, "新規ですか、継続ですか") == 0,
	      "question text verbatim");
	CHECK(r && r->noptions == 3 && !strcmp(r->options[0].label, "新規") &&
	          !strcmp(r->options[1].label, "継続") &&
	          !strcmp(r->options[2].id, "quit"),
	      "options 新規 / 継続 (+ やめる), no back at the start");
	CHECK(r && strcmp(r->pos, "nanbyo") == 0, "position is the flow id");
	flow_reply_free(r);

	mdg_rc rc;
	r = step(s, "nanbyo", "keizoku", NULL, &rc);
	CHECK(rc == MDG_OK && r && r->type == FLOW_REPLY_ANSWER &&
	          !strcmp(r->answer_title, "継続申請") && r->nlinks == 1 &&
	          !strcmp(r->links[0].url, "https://www.pref.aoba.example/f") &&
	          !strcmp(r->contact, "疾病対策課"),
	      "choice 継続 → answer with links and contact");
	CHECK(r && strcmp(r->pos, "nanbyo/keizoku") == 0 && r->leaf,
	      "position records the choice");
	CHECK(r && has_option(r, "back") && has_option(r, "restart") &&
	          !has_option(r, "quit"),
	      "leaf offers back and restart");
	CHECK(r && r->nsteps == 1 && !strcmp(r->steps[0].answer, "継続") &&
	          !strcmp(r->steps[0].summary, "申請の種類"),
	      "steps so far");
	flow_reply_free(r);

	static const struct {
		const char *text, *want_pos;
	} typed[] = {
	    {"継続です", "nanbyo/keizoku"},
	    {"継続", "nanbyo/keizoku"},
	    {"けいぞくです", "nanbyo/keizoku"},
	    {"更新です。", "nanbyo/keizoku"},
	    {"継続の申請をしたい", "nanbyo/keizoku"},
	    {"新規ではなく継続です", "nanbyo/keizoku"},
	    {"初めて申請します", "nanbyo/shinki"},
	    {"新規でお願いします", "nanbyo/shinki"},
	    {"ｼﾝｷ", "nanbyo/shinki"},
	    {"1", "nanbyo/shinki"},
	    {"２", "nanbyo/keizoku"},
	};
	for (size_t i = 0; i < sizeof typed / sizeof *typed; i++) {
		r = step(s, "nanbyo", NULL, typed[i].text, &rc);
		char name[128];
		snprintf(name, sizeof name, "typed 「%s」 → %s", typed[i].text,
		         typed[i].want_pos);
		CHECK(rc == MDG_OK && r && r->pos && !strcmp(r->pos, typed[i].want_pos),
		      name);
		if (r && strcmp(r->pos, typed[i].want_pos))
			printf("#   got type %s pos %s\n", flow_reply_type_name(r->type),
			       r->pos);
		flow_reply_free(r);
	}

	r = step(s, "nanbyo", NULL, "自動車税の納付方法を教えて", &rc);
	CHECK(rc == MDG_OK && r && r->type == FLOW_REPLY_NOMATCH &&
	          !strcmp(r->pos, "nanbyo"),
	      "unrelated text → nomatch, position unchanged");
	flow_reply_free(r);

	r = step(s, "nanbyo", NULL, "新規か継続か", &rc);
	CHECK(rc == MDG_OK && r && r->type == FLOW_REPLY_QUESTION &&
	          !strcmp(r->pos, "nanbyo") && strstr(r->text, "選択肢から"),
	      "both options named → asked again");
	flow_reply_free(r);

	/* back / restart / quit, clicked and typed */
	r = step(s, "nanbyo/keizoku", "back", NULL, &rc);
	CHECK(rc == MDG_OK && r && r->type == FLOW_REPLY_QUESTION &&
	          !strcmp(r->pos, "nanbyo"),
	      "back returns to the question");
	flow_reply_free(r);
	r = step(s, "nanbyo/keizoku", NULL, "戻る", &rc);
	CHECK(rc == MDG_OK && r && !strcmp(r->pos, "nanbyo"), "typed 戻る");
	flow_reply_free(r);
	r = step(s, "nanbyo/keizoku", NULL, "最初からやり直したい", &rc);
	CHECK(rc == MDG_OK && r && r->type == FLOW_REPLY_QUESTION &&
	          !strcmp(r->pos, "nanbyo"),
	      "typed 最初から");
	flow_reply_free(r);
	r = step(s, "nanbyo", NULL, "やめる", &rc);
	CHECK(rc == MDG_OK && r && r->type == FLOW_REPLY_END && !strcmp(r->pos, ""),
	      "typed やめる ends the flow");
	flow_reply_free(r);
	r = step(s, "nanbyo", "quit", NULL, &rc);
	CHECK(rc == MDG_OK && r && r->type == FLOW_REPLY_END, "clicked quit");
	flow_reply_free(r);
	r = step(s, "nanbyo", NULL, "戻る", &rc);
	CHECK(rc == MDG_OK && r && r->type == FLOW_REPLY_QUESTION &&
	          !strcmp(r->pos, "nanbyo"),
	      "typed 戻る at the start asks again");
	flow_reply_free(r);

	/* choices not offered → MDG_ERR_INVALID (400 in the API) */
	r = step(s, "nanbyo", "back", NULL, &rc);
	CHECK(rc == MDG_ERR_INVALID && r == NULL, "back not offered at the start");
	r = step(s, "nanbyo", "nonsense", NULL, &rc);
	CHECK(rc == MDG_ERR_INVALID && r == NULL, "unknown choice rejected");
	r = step(s, "nanbyo/keizoku", "shinki", NULL, &rc);
	CHECK(rc == MDG_ERR_INVALID && r == NULL, "option of another node rejected");
	r = step(s, "nanbyo", "handoff", NULL, &rc);
	CHECK(rc == MDG_ERR_INVALID && r == NULL, "handoff not offered without handoff");

	/* stale or forged positions */
	r = step(s, "nanbyo/gone", "back", NULL, &rc);
	CHECK(rc == MDG_ERR_NOTFOUND && r == NULL, "stale position → notfound");
	r = step(s, "other", NULL, "継続", &rc);
	CHECK(rc == MDG_ERR_NOTFOUND, "unknown flow → notfound");
	r = step(s, "nanbyo//keizoku", NULL, "継続", &rc);
	CHECK(rc == MDG_ERR_NOTFOUND, "empty segment → notfound");
	r = step(s, "", NULL, "継続", &rc);
	CHECK(rc == MDG_ERR_NOTFOUND, "empty position → notfound");
	r = step(s, "nanbyo", NULL, "\xff\xfe", &rc);
	CHECK(rc == MDG_ERR_UTF8 && r == NULL, "invalid UTF-8 text rejected");

	/* triggers */
	const char *fid = NULL;
	double score = 0;
	flow_trigger_match(s, tagger, "指定難病の申請書類を知りたい",
	                   strlen("指定難病の申請書類を知りたい"), &fid, &score, &err);
	CHECK(fid && !strcmp(fid, "nanbyo") && score >= 0.85,
	      "trigger phrase found in a message");
	flow_trigger_match(s, tagger, "図書館の開館時間", strlen("図書館の開館時間"),
	                   &fid, &score, &err);
	CHECK(fid == NULL || score < 0.7, "unrelated message does not trigger");
	free(err);
	flow_set_release(s);

	/* triage, jumps, handoff */
	s = parse(triage, NULL);
	if (s == NULL)
		return;
	r = step(s, "menu", "netsu", NULL, &rc);
	CHECK(rc == MDG_OK && r && r->type == FLOW_REPLY_QUESTION &&
	          !strcmp(r->flow_id, "fever") && !strcmp(r->node_id, "age") &&
	          !strcmp(r->pos, "menu/netsu"),
	      "option with flow: jumps to the other flow's start");
	CHECK(r && has_option(r, "handoff") && has_option(r, "back"),
	      "every node offers handoff");
	flow_reply_free(r);
	r = step(s, "menu/netsu/adult", NULL, "39度以上です", &rc);
	CHECK(rc == MDG_OK && r && r->type == FLOW_REPLY_TRIAGE &&
	          r->urgency.level == 3 && !strcmp(r->urgency.color, "yellow") &&
	          !strcmp(r->urgency.color_ja, "黄") &&
	          strstr(r->urgency.label, "数時間以内") &&
	          strstr(r->care_text, "医療情報ネット") && r->ncare_links == 1,
	      "triage leaf → level, label, color and how to find care");
	CHECK(r && !strcmp(r->text, r->urgency.label),
	      "leaf without text says its level's label");
	CHECK(r && has_option(r, "handoff"), "triage result offers handoff");
	flow_reply_free(r);
	r = step(s, "menu/netsu/adult/low", NULL, NULL, &rc);
	CHECK(rc == MDG_ERR_INVALID, "no choice and no text → invalid");
	r = step(s, "menu/netsu/adult", "low", NULL, &rc);
	CHECK(r && r->urgency.level == 5 && !strcmp(r->advice, "水分をとってください"),
	      "level 5 carries home-care advice");
	flow_reply_free(r);
	r = step(s, "menu/netsu/adult/high", "handoff", NULL, &rc);
	CHECK(rc == MDG_OK && r && r->type == FLOW_REPLY_HANDOFF && r->nphones == 1 &&
	          !strcmp(r->phones[0].number, "#7119") &&
	          !strcmp(r->pos, "menu/netsu/adult/high"),
	      "handoff: phones, position kept");
	CHECK(r && r->summary && strstr(r->summary, "症状: 発熱") &&
	          strstr(r->summary, "症状を選んでください → 発熱") &&
	          strstr(r->summary, "年齢 → 16歳以上") &&
	          strstr(r->summary, "体温 → 39度以上") &&
	          strstr(r->summary, "緊急度3（黄）"),
	      "handoff summary: symptom, answers, level");
	CHECK(r && has_option(r, "resume") && has_option(r, "quit"),
	      "handoff offers resume and quit");
	flow_reply_free(r);
	r = step(s, "menu/netsu/adult", NULL, "相談員と話したい", &rc);
	CHECK(rc == MDG_OK && r && r->type == FLOW_REPLY_HANDOFF &&
	          !strstr(r->summary, "判定"),
	      "typed handoff; no level before a result");
	flow_reply_free(r);
	r = step(s, "menu/netsu/adult/high", "resume", NULL, &rc);
	CHECK(rc == MDG_OK && r && r->type == FLOW_REPLY_TRIAGE,
	      "resume re-renders the node");
	flow_reply_free(r);
	r = step(s, "menu/netsu/adult/high", "restart", NULL, &rc);
	CHECK(rc == MDG_OK && r && !strcmp(r->pos, "menu") && !strcmp(r->flow_id, "menu"),
	      "restart goes back to the first flow");
	flow_reply_free(r);
	r = step(s, "menu/netsu/adult/again/adult/again/adult", "back", NULL, &rc);
	CHECK(rc == MDG_OK && r && !strcmp(r->pos, "menu/netsu/adult/again/adult/again"),
	      "cycles with an exit can be walked and undone");
	flow_reply_free(r);

	flow_set_release(s);
}

static int count_paths(void *ctx, const flow_path *p)
{
	size_t *n = ctx;
	(*n)++;
	(void)p;
	return 0;
}

static void paths_tests(void)
{
	flow_set *s = parse(triage, NULL);
	size_t n = 0;
	char *err = NULL;
	CHECK(s && flow_set_paths(s, count_paths, &n, &err) == MDG_OK && n == 4,
	      "paths: one jump + three leaves (cycle edge not followed)");
	flow_set_release(s);
	free(err);
}

/* ---------- red flags ---------- */

static void redflag_tests(void)
{
	size_t len = 0;
	char *text = slurp(MDG_DATADIR "/kb/sample/redflags.yaml", &len);
	redflag_list *l = NULL;
	flow_report *rep = NULL;
	char *err = NULL;
	CHECK(text && redflag_parse("redflags.yaml", text, len, &l, &rep, &err) == MDG_OK,
	      "sample red-flag list parses");
	dump(rep);
	flow_report_free(rep);
	free(text);
	if (l == NULL)
		return;
	static const struct {
		const char *msg, *want; /* NULL: no flag */
	} cases[] = {
	    {"父の意識がないです", "ishiki"},
	    {"意識ない", "ishiki"},
	    {"意識は無いみたいです", "ishiki"},
	    {"祖母が呼んでも反応しない", "ishiki"},
	    {"息をしていません", "kokyu-teishi"},
	    {"子どもが息をしていない！", "kokyu-teishi"},
	    {"呼吸が苦しいです", "kokyu-konnan"},
	    {"息が苦しくて眠れない", "kokyu-konnan"},
	    {"胸が締め付けられるような痛みがある", "kyoutsu"},
	    {"大量出血している", "shukketsu"},
	    {"けいれんが止まらない", "keiren"},
	    {"ろれつが回らない", "nousocchu"},
	    /* negation and harmless look-alikes */
	    {"意識はある", NULL},
	    {"意識はあります。熱が38度です", NULL},
	    {"意識がないわけではない", NULL},
	    {"胸が締め付けられることはない", NULL},
	    {"呼吸は苦しくない", NULL},
	    {"けいれんは止まった", NULL},
	    {"パソコンの反応がない", NULL},
	    {"VPNがつながらない", NULL},
	    {"", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		redflag_hit hits[4];
		size_t nh = 0;
		mdg_rc rc = redflag_match(l, cases[i].msg, strlen(cases[i].msg), hits, 4,
		                          &nh, &err);
		int ok = rc == MDG_OK &&
		         (cases[i].want ? nh >= 1 && !strcmp(hits[0].id, cases[i].want)
		                        : nh == 0);
		char name[160];
		snprintf(name, sizeof name, "red flag 「%s」 → %s", cases[i].msg,
		         cases[i].want ? cases[i].want : "none");
		CHECK(ok, name);
		if (!ok && nh)
			printf("#   got %s\n", hits[0].id);
	}
	redflag_hit hits[4];
	size_t nh = 0;
	CHECK(redflag_match(l, "\xff", 1, hits, 4, &nh, &err) == MDG_ERR_UTF8,
	      "invalid UTF-8 rejected");
	free(err);
	err = NULL;
	const char *msg = "意識がなくて息もしていない";
	CHECK(redflag_match(l, msg, strlen(msg), hits, 4, &nh, &err) == MDG_OK && nh == 2,
	      "several flags in one message");
	free(err);
	redflag_release(l);

	static const char *const bad[] = {
	    "flags: []\n",
	    "message: m\nflags:\n  - {id: a, label: A, phrases: [x]}\n",
	    "message: m\nflags:\n  - {id: a, label: A, phrases: [意識]}\n  - {id: a, "
	    "label: B, "
	    "phrases: [呼吸]}\n",
	    "message: m\nflags:\n  - {id: a, label: A}\n",
	};
	static const char *const want[] = {"missing 'message'", "too short", "used twice",
	                                   "needs 'phrases'"};
	for (size_t i = 0; i < 4; i++) {
		rep = NULL;
		l = NULL;
		mdg_rc rc =
		    redflag_parse("rf.yaml", bad[i], strlen(bad[i]), &l, &rep, &err);
		char name[96];
		snprintf(name, sizeof name, "invalid red-flag list: %s", want[i]);
		CHECK(rc == MDG_ERR_VALIDATION && l == NULL &&
		          has(rep, "rf.yaml:", want[i], NULL),
		      name);
		if (rc != MDG_ERR_VALIDATION || !has(rep, "rf.yaml:", want[i], NULL))
			dump(rep);
		flow_report_free(rep);
	}
	free(err);
}

/* ---------- sample content: walk every path through the offered options ---------- */

typedef struct walk_stats {
	size_t leaves, answers, levels[6], bad, nodes;
	int hit_cap;
} walk_stats;

static void walk(const flow_set *s, const char *pos, int depth, walk_stats *st)
{
	flow_reply *r = NULL;
	char *err = NULL;
	mdg_rc rc = flow_render(s, pos, &r, &err);
	free(err);
	if (rc != MDG_OK || r == NULL) {
		st->bad++;
		printf("#   cannot render %s\n", pos);
		return;
	}
	st->nodes++;
	if (r->type == FLOW_REPLY_ANSWER) {
		st->leaves++;
		st->answers++;
		if (r->text[0] == '\0')
			st->bad++;
	} else if (r->type == FLOW_REPLY_TRIAGE) {
		st->leaves++;
		if (r->urgency.level >= 1 && r->urgency.level <= 5 && r->care_text[0])
			st->levels[r->urgency.level]++;
		else
			st->bad++;
		if (r->urgency.level >= 4 && r->advice[0] == '\0')
			st->bad++;
	} else if (r->type == FLOW_REPLY_QUESTION) {
		if (depth > 12) {
			st->hit_cap = 1;
		} else {
			for (size_t i = 0; i < r->noptions; i++) {
				if (r->options[i].kind != FLOW_OPT_NEXT)
					continue;
				flow_input in = {r->options[i].id, NULL, 0};
				flow_reply *nx = NULL;
				err = NULL;
				if (flow_step_input(s, tagger, pos, &in, &nx, &err) !=
				    MDG_OK) {
					st->bad++;
					printf("#   choice %s at %s: %s\n",
					       r->options[i].id, pos, err);
				} else {
					walk(s, nx->pos, depth + 1, st);
				}
				free(err);
				flow_reply_free(nx);
			}
		}
	} else {
		st->bad++;
	}
	flow_reply_free(r);
}

static flow_set *load_sample(const char *const *files, size_t n)
{
	flow_source src[4];
	char path[512];
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, MDG_DATADIR "/kb/sample/%s", files[i]);
		src[i].name = files[i];
		src[i].text = slurp(path, &src[i].len);
		src[i].borrowed = i > 0; /* as the store passes included bots' files */
	}
	flow_set *s = NULL;
	flow_report *rep = NULL;
	char *err = NULL;
	flow_set_parse(src, n, tagger, &s, &rep, &err);
	dump(rep);
	if (err)
		printf("# %s\n", err);
	for (size_t i = 0; i < n; i++)
		free((char *)src[i].text);
	flow_report_free(rep);
	free(err);
	return s;
}

static void sample_tests(void)
{
	static const char *const resident[] = {"flows-resident.yaml",
	                                       "flows-kyukyu.yaml"};
	static const char *const staff[] = {"flows-staff.yaml"};
	static const char *const kyukyu[] = {"flows-kyukyu.yaml"};
	struct {
		const char *name;
		const char *const *files;
		size_t n;
	} sets[] = {
	    {"resident", resident, 2}, {"staff", staff, 1}, {"kyukyu", kyukyu, 1}};
	for (size_t k = 0; k < 3; k++) {
		flow_set *s = load_sample(sets[k].files, sets[k].n);
		char name[128];
		snprintf(name, sizeof name, "sample %s flows parse and validate",
		         sets[k].name);
		CHECK(s != NULL, name);
		if (s == NULL)
			continue;
		walk_stats st = {0};
		for (size_t i = 0; i < flow_set_nflows(s); i++)
			walk(s, flow_set_flow_id(s, i), 0, &st);
		snprintf(
		    name, sizeof name,
		    "sample %s: every path by offered options ends in an answer or a "
		    "level 1-5 (%zu leaves)",
		    sets[k].name, st.leaves);
		CHECK(st.bad == 0 && !st.hit_cap && st.leaves > 0, name);
		if (k == 2) {
			CHECK(st.levels[1] && st.levels[2] && st.levels[3] &&
			          st.levels[4] && st.levels[5],
			      "kyukyu: all five levels reachable");
			CHECK(st.answers == 0, "kyukyu: every leaf is a triage result");
			flow_reply *r = NULL;
			char *err = NULL;
			flow_start(s, "kyukyu", &r, &err);
			size_t symptoms = 0;
			for (size_t i = 0; r && i < r->noptions; i++)
				symptoms += r->options[i].kind == FLOW_OPT_NEXT;
			CHECK(symptoms >= 12, "kyukyu: at least 12 symptoms");
			CHECK(r && has_option(r, "handoff"),
			      "kyukyu: menu offers 相談員と話す");
			flow_reply_free(r);
			free(err);
			/* every node of the consultation offers handoff */
			int all = 1;
			for (size_t i = 0; i < flow_set_nflows(s); i++) {
				r = NULL;
				flow_start(s, flow_set_flow_id(s, i), &r, NULL);
				all = all && r && has_option(r, "handoff");
				flow_reply_free(r);
			}
			CHECK(all, "kyukyu: every flow's nodes offer handoff");
		}
		if (k == 0) {
			/* The published example, word for word. */
			flow_reply *r = NULL;
			char *err = NULL;
			flow_start(s, "nanbyo-shinsei", &r, &err);
			CHECK(r && r->type == FLOW_REPLY_QUESTION &&
			          !strcmp(r->text, "新規ですか、継続ですか") &&
			          r->noptions >= 2 &&
			          !strcmp(r->options[0].label, "新規") &&
			          !strcmp(r->options[1].label, "継続"),
			      "指定難病: 新規ですか、継続ですか with 新規 / 継続");
			flow_reply_free(r);
			mdg_rc rc;
			r = step(s, "nanbyo-shinsei", NULL, "継続です", &rc);
			CHECK(r && r->type == FLOW_REPLY_ANSWER &&
			          strstr(r->text, "継続") && r->nlinks >= 2 &&
			          strstr(r->links[0].label, "申請書") &&
			          strstr(r->links[1].label, "概要"),
			      "指定難病: 「継続です」 → documents, form and overview "
			      "links");
			flow_reply_free(r);
			const char *fid = NULL;
			double sc = 0;
			const char *m = "救急相談をしたい";
			flow_trigger_match(s, tagger, m, strlen(m), &fid, &sc, &err);
			CHECK(fid && !strcmp(fid, "kyukyu") && sc >= 0.85,
			      "resident: 「救急相談をしたい」 triggers the consultation");
			m = "パスポートの申請";
			flow_trigger_match(s, tagger, m, strlen(m), &fid, &sc, &err);
			CHECK(fid == NULL || sc < 0.7,
			      "resident: ordinary question triggers nothing");
			r = step(s, "kyukyu", NULL, "熱があります", &rc);
			CHECK(r && !strcmp(r->flow_id, "hatsunetsu"),
			      "typed symptom picks its flow");
			flow_reply_free(r);
			free(err);
		}
		flow_set_release(s);
	}
}

/* ---------- storage ---------- */

static const char *const qa_header[] = {
    "id",         "question", "answer", "alt_questions", "category",
    "department", "contact",  "url",    "keywords",      "flow"};

static void store_tests(void)
{
	char path[] = "/tmp/mdg-test-flow-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
	nlp_model *m = NULL;
	kb *k = NULL, *reader = NULL;
	char *err = NULL;
	if (nlp_model_open(NULL, &m, &err) != MDG_OK ||
	    kb_open(path, m, KB_OPEN_CREATE, &k, &err) != MDG_OK) {
		CHECK(0, "database");
		printf("# %s\n", err);
		free(err);
		nlp_model_close(m);
		return;
	}
	flow_report *rep = NULL;
	flow_source src = {"nanbyo.yaml", nanbyo, strlen(nanbyo), 0};
	CHECK(flow_import(k, "pref", &src, 1, 0, &rep, NULL, &err) == MDG_ERR_NOTFOUND,
	      "import into an unknown bot fails");
	free(err);
	err = NULL;

	sheet *sh = NULL;
	sheet_new(&sh);
	sheet_add_row(sh, qa_header, 10);
	const char *row[] = {"N-1",
	                     "指定難病の申請書類は？",
	                     "書類の案内です。",
	                     "",
	                     "難病",
	                     "",
	                     "",
	                     "",
	                     "",
	                     "nanbyo"};
	sheet_add_row(sh, row, 10);
	kb_import_opts o = {0};
	kb_report *kr = NULL;
	CHECK(kb_import(k, "pref", sh, &o, &kr, &err) == MDG_OK, "Q&A imported");
	kb_report_free(kr);
	sheet_free(sh);

	flow_set *s = NULL;
	CHECK(flow_active(k, "pref", &s, NULL, &err) == MDG_OK && s == NULL,
	      "no flows before the first import (no tables)");

	int64_t id1 = 0, id2 = 0;
	CHECK(flow_import(k, "pref", &src, 1, 1, &rep, &id1, &err) == MDG_OK && id1 == 0,
	      "dry run validates without storing");
	flow_report_free(rep);
	CHECK(flow_active(k, "pref", &s, NULL, &err) == MDG_OK && s == NULL,
	      "dry run stored nothing");
	CHECK(flow_import(k, "pref", &src, 1, 0, &rep, &id1, &err) == MDG_OK && id1 > 0,
	      "import stores a flow set");
	flow_report_free(rep);

	CHECK(kb_open(path, m, KB_OPEN_READONLY, &reader, &err) == MDG_OK,
	      "second connection");
	int64_t got = 0;
	CHECK(flow_active(reader, "pref", &s, &got, &err) == MDG_OK && s && got == id1 &&
	          flow_set_has(s, "nanbyo"),
	      "reader loads the active set");
	flow_set *again = NULL;
	flow_active(reader, "pref", &again, NULL, &err);
	CHECK(again == s, "cached per connection (same object while unchanged)");
	flow_set_release(again);

	/* A broken file keeps the old flows. */
	const char broken[] =
	    "flows:\n  - {id: nanbyo, title: t, nodes: [{id: q, text: q, "
	    "options: [{id: a, label: A, next: zz}]}]}\n";
	flow_source bsrc = {"broken.yaml", broken, strlen(broken), 0};
	CHECK(flow_import(k, "pref", &bsrc, 1, 0, &rep, &id2, &err) ==
	              MDG_ERR_VALIDATION &&
	          has(rep, "broken.yaml:", "unknown next 'zz'", NULL),
	      "broken import rejected with the problem");
	flow_report_free(rep);
	flow_set *cur = NULL;
	flow_active(reader, "pref", &cur, &got, &err);
	CHECK(cur == s && got == id1, "broken import kept the old flows");
	flow_set_release(cur);

	/* Removing a flow a Q&A links is a problem too. */
	const char other[] =
	    "flows:\n  - {id: other, title: t, nodes: [{id: e, answer: {text: x}}]}\n";
	flow_source osrc = {"other.yaml", other, strlen(other), 0};
	CHECK(flow_import(k, "pref", &osrc, 1, 0, &rep, &id2, &err) ==
	              MDG_ERR_VALIDATION &&
	          has(rep, "Q&A 'N-1'", "links flow 'nanbyo'", NULL),
	      "a Q&A's flow link must exist in the new set");
	flow_report_free(rep);

	/* A new valid import is picked up by the running reader. */
	const char v2[] = "flows:\n  - {id: nanbyo, title: 新しい版, nodes: [{id: e, "
	                  "answer: {text: x}}]}\n";
	flow_source v2src = {"v2.yaml", v2, strlen(v2), 0};
	CHECK(flow_import(k, "pref", &v2src, 1, 0, &rep, &id2, &err) == MDG_OK &&
	          id2 > id1,
	      "second import");
	flow_report_free(rep);
	cur = NULL;
	flow_active(reader, "pref", &cur, &got, &err);
	CHECK(cur && cur != s && got == id2 &&
	          !strcmp(flow_set_flow_title(cur, 0), "新しい版"),
	      "reader serves the new set without reopening");
	CHECK(!strcmp(flow_set_flow_title(s, 0), "指定難病の申請書類"),
	      "old set stays valid for its holder");
	flow_set_release(cur);
	flow_set_release(s);

	flow_source *ex = NULL;
	size_t nex = 0;
	CHECK(flow_export(reader, "pref", &ex, &nex, &err) == MDG_OK && nex == 1 &&
	          !strcmp(ex[0].name, "v2.yaml") && !strcmp(ex[0].text, v2),
	      "export returns the stored YAML as written");
	flow_sources_free(ex, nex);

	CHECK(flow_rollback(k, "pref", &err) == MDG_OK, "rollback");
	cur = NULL;
	flow_active(reader, "pref", &cur, &got, &err);
	CHECK(cur && got == id1, "rollback restores the previous set");
	flow_set_release(cur);

	/* red flags: global list, then a bot's own */
	const char rf[] =
	    "message: 119番へ\nflags:\n  - {id: a, label: 意識, phrases: [意識がない]}\n";
	const char rf2[] = "message: 119番へ\nflags:\n  - {id: b, label: 呼吸, phrases: "
	                   "[息をしていない]}\n";
	redflag_list *l = NULL;
	CHECK(flow_redflags_import(k, NULL, "rf.yaml", rf, strlen(rf), 0, &rep, &err) ==
	          MDG_OK,
	      "global red flags imported");
	flow_report_free(rep);
	CHECK(flow_redflags_active(reader, "pref", &l, &err) == MDG_OK && l &&
	          redflag_count(l) == 1,
	      "bot without its own list uses the global one");
	redflag_release(l);
	CHECK(flow_redflags_import(k, "pref", "rf2.yaml", rf2, strlen(rf2), 0, &rep,
	                           &err) == MDG_OK,
	      "bot red flags imported");
	flow_report_free(rep);
	l = NULL;
	redflag_hit h[2];
	size_t nh = 0;
	flow_redflags_active(reader, "pref", &l, &err);
	CHECK(l &&
	          redflag_match(l, "息をしていない", strlen("息をしていない"), h, 2, &nh,
	                        &err) == MDG_OK &&
	          nh == 1 && !strcmp(h[0].id, "b"),
	      "bot's own list wins");
	redflag_release(l);
	CHECK(flow_redflags_import(k, NULL, "bad.yaml", "flags: 3\n", 9, 0, &rep, &err) ==
	          MDG_ERR_VALIDATION,
	      "invalid red-flag list rejected");
	flow_report_free(rep);

	/* include_bots: another bot's active flows join this bot's set. */
	sh = NULL;
	sheet_new(&sh);
	sheet_add_row(sh, qa_header, 10);
	const char *krow[] = {"K-1", "救急相談", "救急相談です。", "", "", "", "", "",
	                      "",    "menu"};
	sheet_add_row(sh, krow, 10);
	kr = NULL;
	CHECK(kb_import(k, "kyu", sh, &o, &kr, &err) == MDG_OK,
	      "second bot's Q&A imported");
	kb_report_free(kr);
	sheet_free(sh);
	char incl[sizeof nanbyo + 64];
	snprintf(incl, sizeof incl, "include_bots: [kyu]\n%s", nanbyo);
	flow_source isrc = {"pref.yaml", incl, strlen(incl), 0};
	CHECK(flow_import(k, "pref", &isrc, 1, 0, &rep, NULL, &err) ==
	              MDG_ERR_VALIDATION &&
	          has(rep, "pref.yaml:0:", "bot 'kyu' has no flows", NULL),
	      "including a bot without flows is a problem");
	flow_report_free(rep);
	char self[sizeof nanbyo + 64];
	snprintf(self, sizeof self, "include_bots: [pref]\n%s", nanbyo);
	flow_source ssrc = {"self.yaml", self, strlen(self), 0};
	CHECK(flow_import(k, "pref", &ssrc, 1, 0, &rep, NULL, &err) ==
	              MDG_ERR_VALIDATION &&
	          has(rep, "cannot include itself", NULL, NULL),
	      "a bot cannot include itself");
	flow_report_free(rep);
	flow_source ksrc = {"kyu.yaml", triage, strlen(triage), 0};
	CHECK(flow_import(k, "kyu", &ksrc, 1, 0, &rep, NULL, &err) == MDG_OK,
	      "kyu flows imported");
	flow_report_free(rep);
	CHECK(flow_import(k, "pref", &isrc, 1, 0, &rep, NULL, &err) == MDG_OK,
	      "pref imported with include_bots");
	flow_report_free(rep);
	cur = NULL;
	flow_active(reader, "pref", &cur, NULL, &err);
	CHECK(cur && flow_set_has(cur, "nanbyo") && flow_set_has(cur, "menu") &&
	          flow_set_has(cur, "fever") && flow_set_nincludes(cur) == 1,
	      "pref serves its own and kyu's flows");
	flow_set_release(cur);
	/* kyu changes: pref picks it up without its own import */
	char triage2[sizeof triage + 16];
	snprintf(triage2, sizeof triage2, "%s", triage);
	char *t = strstr(triage2, "title: 発熱");
	memcpy(t, "title: 熱だ", strlen("title: 熱だ"));
	flow_source k2 = {"kyu.yaml", triage2, strlen(triage2), 0};
	CHECK(flow_import(k, "kyu", &k2, 1, 0, &rep, NULL, &err) == MDG_OK,
	      "kyu re-imported");
	flow_report_free(rep);
	cur = NULL;
	flow_active(reader, "pref", &cur, NULL, &err);
	int fi = -1;
	for (size_t i = 0; cur && i < flow_set_nflows(cur); i++)
		if (!strcmp(flow_set_flow_id(cur, i), "fever"))
			fi = (int)i;
	CHECK(fi >= 0 && strstr(flow_set_flow_title(cur, (size_t)fi), "熱だ"),
	      "an included bot's new import reaches the including bot");
	flow_set_release(cur);
	/* kyu may not break pref: a flow id pref already uses */
	char clash[sizeof triage + 128];
	snprintf(clash, sizeof clash,
	         "%s  - {id: nanbyo, title: x, nodes: [{id: e, answer: {text: x}}]}\n",
	         triage);
	flow_source csrc = {"kyu.yaml", clash, strlen(clash), 0};
	CHECK(flow_import(k, "kyu", &csrc, 1, 0, &rep, NULL, &err) ==
	              MDG_ERR_VALIDATION &&
	          has(rep, "in bot 'pref', which includes these flows", "already used",
	              NULL),
	      "an import that would break an including bot is refused");
	flow_report_free(rep);

	free(err);
	kb_close(reader);
	kb_close(k);
	nlp_model_close(m);
	char side[600];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

int main(void)
{
	nlp_model *m = NULL;
	char *err = NULL;
	if (nlp_model_open(NULL, &m, &err) != MDG_OK ||
	    nlp_tagger_new(m, &tagger, &err) != MDG_OK) {
		printf("# %s\n", err);
		CHECK(0, "MeCab model");
		return tap_done();
	}
	validation_tests();
	engine_tests();
	paths_tests();
	redflag_tests();
	sample_tests();
	store_tests();
	nlp_tagger_free(tagger);
	nlp_model_close(m);
	return tap_done();
}
