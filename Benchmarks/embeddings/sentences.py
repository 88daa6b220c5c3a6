#!/usr/bin/env python3
"""Prints the benchmark's 256 sentences (deterministic, 8–30 words, like typical retrieval queries and passages)."""
import random

SUBJECTS = ["A man", "The woman", "Our team", "The new model", "A small cat", "The server", "Every student",
            "The committee", "A distributed cache", "The old library", "My neighbour", "The compiler"]
VERBS = ["is eating", "reads", "builds", "quietly replaces", "discovers", "stores", "explains", "rejects",
         "downloads", "carefully reviews", "shares", "measures"]
OBJECTS = ["a piece of bread", "the quarterly report", "a content-addressed block", "three new chapters",
           "the embeddings of every sentence", "an unexpected error message", "a horse near the river",
           "the latest results from the benchmark", "a long list of peers", "the weights of the network"]
TAILS = ["before lunch.", "in the morning.", "without asking anyone for help.", "while the rain keeps falling outside.",
         "because the deadline is tomorrow and nothing else can wait.", "at the end of a very long day.",
         "so that everyone on the project can reproduce the numbers later.", "again.", "",
         "and then writes a short summary for the rest of the group, including the open questions."]

def sentences(n=256, seed=7):
    rng = random.Random(seed)
    return [" ".join(filter(None, [rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(TAILS)]))
            for _ in range(n)]

if __name__ == "__main__":
    print("\n".join(sentences()))
